import sys; sys.stderr = open(snakemake.log[0], "w")  # noqa: E702
from invrl.cube import assemble
from invrl.evaluate import write_netcdf

write_netcdf(assemble(list(snakemake.input.runs), snakemake.wildcards.experiment), snakemake.output.cube)
