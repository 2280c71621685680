import sys; sys.stderr = open(snakemake.log[0], "w")  # noqa: E702
import json

import torch

from invrl.demand.real import load_real_demand
from invrl.demand.real.fetch import report_errors
from invrl.demand.real.smoke import run_smoke, smoke_csv, smoke_markdown
from invrl.evaluate import write_netcdf
from invrl.io import write_text

torch.set_num_threads(snakemake.threads)
settings = json.loads(snakemake.params.smoke)
with report_errors():
    real = load_real_demand(snakemake.input.data)
results = run_smoke(
    real, settings, max_series=snakemake.params.max_series,
    provenance=json.loads(open(snakemake.input.provenance).read()),
)
write_netcdf(results, snakemake.output.results)
write_text(snakemake.output.csv, smoke_csv(results))
write_text(snakemake.output.markdown, smoke_markdown(results, rows=settings["table_rows"]))
