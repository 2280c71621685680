"""Combine per-run Datasets into one result cube per experiment.

Runs are merged by their coordinates (instance x policy x seed x train size);
tables and figures read cubes only, never raw runs. Variable attributes
(``long_name``, ``units``) are kept, and so is each run's provenance (resolved
config, its hash, torch version, device, threads, commit), as a JSON list in
the cube's ``provenance`` attribute.
"""

from __future__ import annotations

import json
from pathlib import Path

import xarray as xr

from invrl.errors import InvrlError

RUN_ATTRS = ("config", "config_hash", "git_commit", "invrl_version", "torch_version", "python_version", "device",
             "threads", "method", "options")


def assemble(paths: list[str | Path], experiment: str) -> xr.Dataset:
    if not paths:
        raise InvrlError(f"experiment {experiment!r} has no runs to assemble")
    runs, records = [], []
    for path in paths:
        try:
            with xr.open_dataset(path, engine="netcdf4") as ds:
                # object dtype: merging '<U8' and '<U17' indexes must not truncate names
                run = ds.load().assign_coords({k: ds[k].astype(object) for k in ("instance", "policy")})
        except (OSError, ValueError) as error:
            raise InvrlError(f"run file {path} is unreadable: {error}; delete it and rerun its rule") from error
        for name in ("instance", "policy"):
            run[name].attrs = ds[name].attrs
        records += [{**record, "file": str(path)} for record in json.loads(run.attrs.get("provenance", "[]"))]
        runs.append(run.drop_attrs(deep=False))
    cube = xr.combine_by_coords(runs, compat="no_conflicts", data_vars="minimal", coords="minimal", join="outer",
                                combine_attrs="drop")
    # combine_by_coords sorts string indexes (L1-p19 before L1-p4): keep the order the runs came in,
    # which is the grid's
    order = {dim: list(dict.fromkeys(v for run in runs for v in run[dim].values)) for dim in ("instance", "policy")}
    cube = cube.reindex(order)
    for name, variable in cube.variables.items():  # combine_attrs="drop" also drops variable attributes
        for run in runs:
            if name in run.variables and run[name].attrs:
                variable.attrs.update(run[name].attrs)
                break
    scales = sorted({record.get("scale", "") for record in records})
    return cube.assign_attrs(
        Conventions="CF-1.10",
        title=f"invrl result cube of experiment {experiment}",
        experiment=experiment,
        scale=",".join(scales),
        runs=json.dumps([str(p) for p in paths]),
        config_hashes=json.dumps(sorted({r.get("config_hash", "") for r in records})),
        git_commits=json.dumps(sorted({r.get("git_commit", "") for r in records})),
        provenance=json.dumps(records),
    )
