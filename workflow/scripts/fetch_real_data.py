import sys; sys.stderr = open(snakemake.log[0], "w")  # noqa: E702
from invrl.demand.real.fetch import fetch_source, report_errors

name = snakemake.params.name
with report_errors():
    fetch_source(name, snakemake.config["real_data"]["sources"][name], snakemake.output.raw, snakemake.output.provenance)
