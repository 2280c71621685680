"""Seaborn figures read from result cubes; each is saved atomically as PNG."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402
import xarray as xr  # noqa: E402

from invrl.io import atomic_path  # noqa: E402
from invrl.report.tables import grid_coordinates, grid_order  # noqa: E402


def _label(cube: xr.Dataset) -> str:
    """Experiment and scale, so a smoke figure can never pass for a default one."""
    scale = cube.attrs.get("scale", "")
    return f"{cube.attrs.get('experiment', '')} ({scale} scale)" if scale else cube.attrs.get("experiment", "")


def _save(fig, path) -> None:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=130, bbox_inches="tight", format="png")
    plt.close(fig)


def gap_heatmap(cube: xr.Dataset, path, rows: str = "lead_time", columns: str = "shortage_cost") -> None:
    """Gap to the optimum (%) per instance, one panel per policy; lower is better."""
    policies = [str(p) for p in cube.policy.values]
    mean = cube["gap"].mean("seed").max("train_size")
    fig, axes = plt.subplots(1, len(policies), figsize=(3.2 * len(policies), 3.0), squeeze=False)
    vmax = float(mean.max())
    for ax, policy in zip(axes[0], policies):
        frame = pd.DataFrame({
            rows: cube[rows].values, columns: cube[columns].values, "gap": mean.sel(policy=policy).values,
        }).pivot(index=rows, columns=columns, values="gap")
        sns.heatmap(frame, annot=True, fmt=".2f", cmap="rocket_r", vmin=0, vmax=vmax, cbar=False, ax=ax)
        ax.set_title(policy.replace("_", " "))
    fig.suptitle(f"{_label(cube)}: gap to optimum (%)", y=1.04)
    _save(fig, path)


def gap_lines(cube: xr.Dataset, path) -> None:
    """Gap to the optimum (%) against the grid's first varying value, one line per value of the
    second (if any) and one panel per policy."""
    coords = grid_coordinates(cube) or ["instance"]
    x, hue = (coords + [None])[:2]
    frame = cube["gap"].mean("seed").max("train_size").to_dataframe().reset_index()  # keeps the grid coordinates
    grid = sns.relplot(data=frame, x=x, y="gap", hue=hue, col="policy", kind="line", marker="o", height=3,
                       palette="viridis" if hue else None)
    grid.set_axis_labels(x.replace("_", " "), "gap to optimum (%)")
    grid.figure.suptitle(f"{_label(cube)}: gap to optimum (lower is better)", y=1.04)
    _save(grid.figure, path)


def learning_curves(cube: xr.Dataset, path, policy: str = "hdpo_mlp") -> None:
    """Dev gap (%) against wall-clock seconds and gradient steps, one line per instance."""
    sub = cube.sel(policy=policy).isel(seed=0).max("train_size")
    rows = []
    for instance in sub.instance.values:
        one = sub.sel(instance=instance)
        optimum = float(one["optimal_cost"])
        for step, wall, dev in zip(one["curve_step"].values, one["curve_wall_time_s"].values, one["curve_dev_cost"].values):
            if step == step:  # skip padding (NaN) of shorter curves
                rows.append({"instance": str(instance), "step": step, "seconds": wall, "dev gap (%)": 100 * (dev / optimum - 1)})
    frame = pd.DataFrame(rows)
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), sharey=True)
    for ax, x in zip(axes, ("seconds", "step")):
        sns.lineplot(data=frame, x=x, y="dev gap (%)", hue="instance", ax=ax, legend=ax is axes[1], linewidth=1)
        ax.set_yscale("symlog", linthresh=0.1)
        ax.set_xlabel("wall-clock seconds" if x == "seconds" else "gradient steps")
    if axes[1].get_legend():
        sns.move_legend(axes[1], "upper left", bbox_to_anchor=(1, 1), fontsize=7, ncol=2)
    fig.suptitle(f"{_label(cube)}: HDPO learning curves (lower is better)")
    _save(fig, path)


def excess_over_best(cube: xr.Dataset) -> xr.DataArray:
    """Each policy's test cost over the best policy found on the instance, in percent (seed means;
    the best is taken over policies and train sizes)."""
    cost = cube["cost"].mean("seed")
    best = cost.min(("policy", "train_size"))
    return 100 * (cost / best - 1)


def _long_frame(values: xr.DataArray, name: str) -> pd.DataFrame:
    frame = values.rename(name).to_dataframe().reset_index()
    return frame.dropna(subset=[name])


def excess_lines(cube: xr.Dataset, path) -> None:
    """Excess cost over the best policy found (%) against the grid's first varying value, one line per policy."""
    grid = grid_coordinates(cube)
    x = grid[0] if grid else "instance"
    frame = _long_frame(excess_over_best(cube).max("train_size"), "excess (%)")
    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    sns.lineplot(data=frame, x=x, y="excess (%)", hue="policy", style="policy", markers=True, dashes=False, ax=ax)
    if len(grid) > 1:
        ax.set_title(f"varying {', '.join(grid)}", fontsize=8)
    ax.set_xlabel(x.replace("_", " "))
    fig.suptitle(f"{_label(cube)}: excess over the best policy found (lower is better)")
    _save(fig, path)


def bound_gap_lines(cube: xr.Dataset, path) -> None:
    """Gap of each policy to a lower bound on the optimum (%) against the first grid value,
    one panel per value of the second; lower is better, and every gap is >= 0 up to noise."""
    grid = grid_coordinates(cube)
    x = grid[0] if grid else "instance"
    frame = _long_frame(cube["gap_to_bound"].mean("seed").max("train_size"), "gap to bound (%)")
    plot = sns.relplot(data=frame, x=x, y="gap to bound (%)", hue="policy", style="policy", markers=True, dashes=False,
                       col=grid[1] if len(grid) > 1 else None, kind="line", height=3.2)
    plot.figure.suptitle(f"{_label(cube)}: gap to the lower bound (lower is better)", y=1.04)
    _save(plot.figure, path)


def data_efficiency(cube: xr.Dataset, path) -> None:
    """Excess test cost over the best policy found (%) against the number of training scenarios,
    one line per architecture, error bars over seeds, one panel per instance."""
    cost = cube["cost"]
    best = cost.mean("seed").min(("policy", "train_size"))
    frame = _long_frame(100 * (cost / best - 1), "excess (%)")
    plot = sns.relplot(data=frame, x="train_size", y="excess (%)", hue="policy", style="policy", col="instance",
                       col_order=[str(i) for i in grid_order(cube)], kind="line", markers=True, dashes=False,
                       errorbar="sd", err_style="bars", height=3.2, facet_kws={"sharey": False})
    sizes = sorted(int(n) for n in cube.train_size.values)
    for ax in plot.axes.flat:
        ax.set_xscale("log")
        ax.minorticks_off()
        ax.set_xticks(sizes, [str(n) for n in sizes])
    plot.set_axis_labels("training scenarios", "excess over best (%)")
    plot.figure.suptitle(f"{_label(cube)}: data efficiency (lower is better; bars: sd over seeds)", y=1.04)
    _save(plot.figure, path)
