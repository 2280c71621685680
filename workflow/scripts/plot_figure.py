import sys; sys.stderr = open(snakemake.log[0], "w")  # noqa: E702
import xarray as xr

from invrl.report import FIGURES

with xr.open_dataset(snakemake.input.cube) as cube:
    FIGURES[snakemake.wildcards.figure](cube.load(), snakemake.output.figure)
