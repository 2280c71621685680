"""Roll a policy out on a split and describe the run as an xarray Dataset.

A run Dataset has dimensions ``instance``, ``policy``, ``seed`` and
``train_size`` (length one each) so that ``cube.assemble`` can combine runs by
coordinates; the learning curve lies along ``evaluation``. Attributes carry
provenance: the resolved config, its hash, versions, device, threads, commit.
"""

from __future__ import annotations

import hashlib
import json
import math
import platform
import subprocess

import numpy as np
import torch
import xarray as xr

import invrl
from invrl.config import REPO
from invrl.demand.data import DemandData
from invrl.io import atomic_path
from invrl.rollout import rollout
from invrl.systems.base import System


def evaluate_policy(system: System, policy, demand: DemandData, *, warmup: int, round_actions: bool) -> dict[str, float]:
    """Cost per period per location after ``warmup``, its standard error over samples, and the fill rate."""
    with torch.no_grad():
        trajectory = rollout(system, policy, demand, round_actions=round_actions, totals_from=warmup)
    per_sample = trajectory.cost_per_sample(warmup).double()
    sales, served_demand = trajectory.totals["sales"].sum(), trajectory.totals["demand"].sum()
    return {
        "cost": float(per_sample.mean()),
        "cost_se": float(per_sample.std() / math.sqrt(per_sample.numel())),
        "fill_rate": float(sales / served_demand) if served_demand > 0 else math.nan,
    }


def config_hash(config: dict) -> str:
    return hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()[:16]


def git_commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, timeout=5, check=True
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def provenance(config: dict, device, threads: int) -> dict[str, str | int]:
    return {
        "config": json.dumps(config, sort_keys=True, default=str),
        "config_hash": config_hash(config),
        "invrl_version": invrl.__version__,
        "torch_version": torch.__version__,
        "python_version": platform.python_version(),
        "device": str(device),
        "threads": int(threads),
        "git_commit": git_commit(),
    }


def run_dataset(
    *,
    experiment: str,
    setting: str,
    instance: str,
    instance_values: dict,
    policy: str,
    seed: int,
    train_size: int,
    metrics: dict[str, float],
    optimum: float | None,
    curve: dict[str, list] | None,
    attrs: dict,
    lower_bound: float | None = None,
) -> xr.Dataset:
    """One run as a Dataset; ``gap`` is (cost / optimum - 1) in percent where an optimum is known,
    ``gap_to_bound`` the same against a lower bound on the optimum where one is known."""
    # object dtype: variable-length strings, so combining runs never truncates names to the shortest width
    coords = {"instance": np.array([instance], dtype=object), "policy": np.array([policy], dtype=object),
              "seed": [seed], "train_size": [train_size]}
    shape = (1, 1, 1, 1)
    dims = tuple(coords)
    data = {name: (dims, np.full(shape, value, dtype=float)) for name, value in metrics.items()}
    opt = math.nan if optimum is None else float(optimum)
    data["optimal_cost"] = (("instance",), [opt])
    data["gap"] = (dims, np.full(shape, 100 * (metrics["cost"] / opt - 1) if optimum else math.nan))
    if lower_bound is not None:
        data["lower_bound"] = (("instance",), [float(lower_bound)])
        data["gap_to_bound"] = (dims, np.full(shape, 100 * (metrics["cost"] / lower_bound - 1)))
    if curve and curve.get("step"):
        n = len(curve["step"])
        for name, values in curve.items():
            data[f"curve_{name}"] = (dims + ("evaluation",), np.asarray(values, dtype=float).reshape(shape + (n,)))
        coords["evaluation"] = np.arange(n)
    ds = xr.Dataset(data, coords=coords)
    for key, value in instance_values.items():
        ds = ds.assign_coords({key: ("instance", [value])})
    return ds.assign_coords(experiment=experiment, setting=setting).assign_attrs(attrs)


def write_netcdf(ds: xr.Dataset, path) -> None:
    """Write atomically: a crash leaves the old file (or none), never half a file."""
    with atomic_path(path) as tmp:
        ds.to_netcdf(tmp, engine="netcdf4")
