"""Combine per-run Datasets into one result cube per experiment.

Runs are merged by their coordinates (instance x policy x seed x train size);
tables and figures read cubes only, never raw runs.
"""

from __future__ import annotations

import json
from pathlib import Path

import xarray as xr


def assemble(paths: list[str | Path], experiment: str) -> xr.Dataset:
    if not paths:
        raise ValueError(f"experiment {experiment!r} has no runs to assemble")
    runs = []
    for path in paths:
        try:
            with xr.open_dataset(path, engine="netcdf4") as ds:
                # object dtype: merging '<U8' and '<U17' indexes must not truncate names
                runs.append(ds.load().assign_coords({k: ds[k].astype(object) for k in ("instance", "policy")}))
        except (OSError, ValueError) as error:
            raise ValueError(f"run file {path} is unreadable: {error}") from error
    cube = xr.combine_by_coords(runs, compat="no_conflicts", data_vars="minimal", coords="minimal", join="outer",
                                combine_attrs="drop")
    hashes = sorted({run.attrs.get("config_hash", "") for run in runs})
    return cube.assign_attrs(
        experiment=experiment,
        runs=json.dumps([str(p) for p in paths]),
        config_hashes=json.dumps(hashes),
        git_commits=json.dumps(sorted({run.attrs.get("git_commit", "") for run in runs})),
    )
