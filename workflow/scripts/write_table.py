import sys; sys.stderr = open(snakemake.log[0], "w")  # noqa: E702
from pathlib import Path

import xarray as xr

from invrl.report.tables import policy_table, write_tables

with xr.open_dataset(snakemake.input.cube) as cube:
    write_tables(policy_table(cube.load()), Path(snakemake.output.markdown).with_suffix(""))
