"""Roll a policy out on a split and describe the run as a self-describing xarray Dataset.

A run Dataset has dimensions ``instance``, ``policy``, ``seed`` and
``train_size`` (length one each) so that ``cube.assemble`` can combine runs by
coordinates; the learning curve lies along ``evaluation``. Every variable has
CF-style ``long_name`` and ``units``, every coordinate a ``description``;
attributes carry provenance: the resolved config, its hash, versions, device,
threads, commit and scale.
"""

from __future__ import annotations

import json
import math
import platform
import subprocess
from pathlib import Path

import numpy as np
import torch
import xarray as xr

import invrl
from invrl.config import REPO
from invrl.demand.data import DemandData
from invrl.io import atomic_path
from invrl.rollout import rollout
from invrl.spec import RunSpec, config_hash
from invrl.systems.base import System

COST = "cost per period per store"
VARIABLES = {
    "cost": ("test cost per period per store (mean over test samples after warm-up); lower is better", COST),
    "cost_se": ("standard error of the test cost over test samples", COST),
    "fill_rate": ("share of test demand served from stock", "1"),
    "dev_cost": ("dev cost of the selected policy (model selection)", COST),
    "train_time_s": ("wall time of training or of the parameter search", "s"),
    "steps": ("gradient steps taken (learned policies) or candidate parameter sets simulated (heuristic search)", "1"),
    "best_step": ("gradient step of the selected (dev-best) policy; NaN for heuristics", "1"),
    "optimal_cost": ("exact optimal cost of the instance (NaN where none is known)", COST),
    "gap": ("test cost above the exact optimum: 100 (cost / optimal_cost - 1); lower is better", "percent"),
    "lower_bound": ("lower bound on the optimal cost of the instance", COST),
    "gap_to_bound": ("test cost above the lower bound: 100 (cost / lower_bound - 1); lower is better", "percent"),
    "curve_step": ("gradient step of each dev evaluation", "1"),
    "curve_wall_time_s": ("wall time at each dev evaluation", "s"),
    "curve_train_loss": ("training loss (cost per period per store on the minibatch) at each dev evaluation", COST),
    "curve_dev_cost": ("dev cost of the evaluated weights at each dev evaluation", COST),
}
COORDINATES = {
    "instance": "problem instance: one combination of the experiment's grid (or one of its cases)",
    "policy": "policy name in config.yaml's policies",
    "seed": "training seed (heuristic searches are deterministic and record 0)",
    "train_size": "number of training scenarios (real data: series)",
    "evaluation": "index of a dev evaluation along the learning curve",
    "experiment": "experiment name in config.yaml",
    "setting": "name of the setting file (config/settings/NAME.yaml)",
}


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


def describe(ds: xr.Dataset) -> xr.Dataset:
    """Put ``long_name``/``units`` on every known variable and ``description`` on every coordinate."""
    for name, variable in ds.data_vars.items():
        if name in VARIABLES:
            variable.attrs.update(long_name=VARIABLES[name][0], units=VARIABLES[name][1])
        elif name.startswith("parameter_"):
            variable.attrs.setdefault("long_name", f"fitted heuristic parameter {name.removeprefix('parameter_')}")
            variable.attrs.setdefault("units", "units of stock")
    for name, coordinate in ds.coords.items():
        coordinate.attrs.setdefault("description", COORDINATES.get(name, f"value of setting key {name} on this instance"))
    return ds.assign_attrs(Conventions="CF-1.10")


def parameter_variables(parameters: dict) -> dict[str, float]:
    """Fitted heuristic parameters as scalars: a number as it is, a short list (echelon levels) one
    value per entry, a per-sample list (real series) as its mean."""
    out = {}
    for name, value in parameters.items():
        flat = np.asarray(value, dtype=float).ravel()
        if flat.size == 1:
            out[f"parameter_{name}"] = float(flat[0])
        elif flat.size <= 16 and np.asarray(value).ndim == 1:
            out |= {f"parameter_{name}_{i}": float(v) for i, v in enumerate(flat)}
        else:
            out[f"parameter_{name}_mean"] = float(flat.mean())
    return out


def run_dataset(
    spec: RunSpec,
    *,
    train_size: int,
    metrics: dict[str, float],
    curve: dict[str, list] | None = None,
    attrs: dict | None = None,
) -> xr.Dataset:
    """One run as a Dataset; ``gap`` is (cost / optimum - 1) in percent where an optimum is known,
    ``gap_to_bound`` the same against a lower bound on the optimum where one is known."""
    # object dtype: variable-length strings, so combining runs never truncates names to the shortest width
    coords = {"instance": np.array([spec.instance_name()], dtype=object), "policy": np.array([spec.policy], dtype=object),
              "seed": [spec.seed], "train_size": [train_size]}
    shape = (1, 1, 1, 1)
    dims = tuple(coords)
    data = {name: (dims, np.full(shape, value, dtype=float)) for name, value in metrics.items()}
    optimum, bound = spec.reference.get("optimal_cost"), spec.reference.get("lower_bound")
    opt = math.nan if optimum is None else float(optimum)
    data["optimal_cost"] = (("instance",), [opt])
    data["gap"] = (dims, np.full(shape, 100 * (metrics["cost"] / opt - 1) if optimum else math.nan))
    if bound is not None:
        data["lower_bound"] = (("instance",), [float(bound)])
        data["gap_to_bound"] = (dims, np.full(shape, 100 * (metrics["cost"] / bound - 1)))
    if curve and curve.get("step"):
        n = len(curve["step"])
        for name, values in curve.items():
            data[f"curve_{name}"] = (dims + ("evaluation",), np.asarray(values, dtype=float).reshape(shape + (n,)))
        coords["evaluation"] = np.arange(n)
    ds = xr.Dataset(data, coords=coords)
    for key, value in spec.coordinates().items():
        if np.isscalar(value):
            ds = ds.assign_coords({key: ("instance", [value])})
    ds = ds.assign_coords(experiment=spec.experiment, setting=Path(spec.setting).stem)
    return describe(ds.assign_attrs({**(attrs or {}), "scale": spec.scale}))


def write_netcdf(ds: xr.Dataset, path) -> None:
    """Write atomically: a crash leaves the old file (or none), never half a file."""
    with atomic_path(path) as tmp:
        ds.to_netcdf(tmp, engine="netcdf4")
