import sys; sys.stderr = open(snakemake.log[0], "w")  # noqa: E702
from pathlib import Path

import xarray as xr

from invrl.report.tables import data_efficiency_table, policy_table, write_tables

with xr.open_dataset(snakemake.input.cube) as cube:
    cube = cube.load()
    table = data_efficiency_table(cube) if cube.sizes.get("train_size", 1) > 1 else policy_table(cube)
    write_tables(table, Path(snakemake.output.markdown).with_suffix(""))
