"""Tables of cost and gap per instance and policy (markdown, LaTeX, CSV)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from invrl.io import write_text


EXACT_POLICIES = ("echelon_stock",)
"""Policies that run the optimum's own decision rule (Clark-Scarf levels on a serial line)."""


def policy_table(cube: xr.Dataset, policies: list[str] | None = None) -> pd.DataFrame:
    """One row per instance: the optimum (where known), then each policy's cost and gap in percent.

    Costs are averaged over seeds (and the largest train size); ``cost_se`` is
    the test standard error of one run. Where the cube also holds a policy
    that runs the optimal decision rule (``EXACT_POLICIES``), every other
    policy gets a ``same-path gap %`` column: its excess over that policy on
    the same test paths, free of the test set's sampling error that the gap to
    the optimum's value carries.
    """
    policies = policies or [str(p) for p in cube.policy.values]
    sub = cube.sel(train_size=cube.train_size.max()) if "train_size" in cube.dims else cube
    mean = sub.mean("seed")
    index_coords = [c for c in sub.coords if c not in sub.dims and sub[c].dims == ("instance",)]
    frame = pd.DataFrame({c: sub[c].values for c in index_coords}, index=pd.Index(sub.instance.values, name="instance"))
    frame = frame.sort_values(index_coords) if index_coords else frame
    if np.isfinite(sub["optimal_cost"].values).any():
        frame["optimal"] = sub["optimal_cost"].sel(instance=frame.index).values
    has_bound = "lower_bound" in sub and np.isfinite(sub["lower_bound"].values).any()
    if has_bound:
        frame["lower bound"] = sub["lower_bound"].sel(instance=frame.index).values
    mean = mean.sel(instance=frame.index)
    best = mean["cost"].min("policy")
    exact = next((p for p in EXACT_POLICIES if p in policies), None) if "optimal" in frame else None
    for policy in policies:
        frame[f"{policy} cost"] = mean["cost"].sel(policy=policy).values
        if "optimal" in frame:
            frame[f"{policy} gap %"] = mean["gap"].sel(policy=policy).values
            if exact is not None and policy != exact:
                same_path = 100 * (mean["cost"].sel(policy=policy) / mean["cost"].sel(policy=exact) - 1)
                frame[f"{policy} same-path gap %"] = same_path.values
        elif has_bound:
            frame[f"{policy} gap to bound %"] = mean["gap_to_bound"].sel(policy=policy).values
        else:
            frame[f"{policy} excess %"] = (100 * (mean["cost"].sel(policy=policy) / best - 1)).values
    return frame


def data_efficiency_table(cube: xr.Dataset) -> pd.DataFrame:
    """One row per instance and training-set size: each policy's test cost (mean and sd over
    seeds; the sd is the sample sd, as in the figure's error bars) and its excess over the best
    policy found on the instance, in percent."""
    cost = cube["cost"]
    mean, spread = cost.mean("seed"), cost.std("seed", ddof=1)
    best = mean.min(("policy", "train_size"))
    rows = []
    for instance in grid_order(cube):
        for size in cube.train_size.values:
            row = {"instance": str(instance), "train scenarios": int(size)}
            for policy in cube.policy.values:
                at = {"instance": instance, "train_size": size, "policy": policy}
                row[f"{policy} cost"] = float(mean.sel(at))
                row[f"{policy} sd"] = float(spread.sel(at))
                row[f"{policy} excess %"] = float(100 * (mean.sel(at) / best.sel(instance=instance) - 1))
            rows.append(row)
    return pd.DataFrame(rows).set_index(["instance", "train scenarios"])


def grid_coordinates(cube: xr.Dataset) -> list[str]:
    """The instance-level coordinates that vary across instances (the experiment's grid)."""
    return [str(c) for c in cube.coords
            if c != "instance" and cube[c].dims == ("instance",) and len(set(cube[c].values.tolist())) > 1]


def grid_order(cube: xr.Dataset) -> list:
    """Instances sorted by their grid coordinates (N5 before N10), not by name."""
    grid = grid_coordinates(cube)
    return sorted(cube.instance.values, key=lambda i: tuple(cube[c].sel(instance=i).item() for c in grid))


def summary_row(frame: pd.DataFrame) -> pd.Series:
    """Mean and max of every gap (or excess) column."""
    gaps = [c for c in frame.columns if c.endswith("gap %") or c.endswith("excess %") or c.endswith("bound %")]
    return pd.concat({"mean": frame[gaps].mean(), "max": frame[gaps].max()}, axis=1).T


def write_tables(frame: pd.DataFrame, stem: str | Path, floatfmt: str = ".3f") -> list[Path]:
    """``stem``.md, .tex and .csv; markdown gets mean/max gap rows underneath."""
    stem = Path(stem)
    gaps = summary_row(frame)
    nested = isinstance(frame.index, pd.MultiIndex)  # one column per level reads better than tuples
    markdown = (frame.reset_index() if nested else frame).to_markdown(floatfmt=floatfmt, index=not nested)
    if len(gaps.columns):
        markdown += "\n\n" + gaps.to_markdown(floatfmt=floatfmt)
    outputs = {".md": markdown + "\n", ".tex": frame.to_latex(float_format=lambda x: f"{x:{floatfmt}}"), ".csv": frame.to_csv()}
    paths = []
    for suffix, text in outputs.items():
        path = stem.with_suffix(suffix)
        write_text(path, text)
        paths.append(path)
    return paths
