"""Seaborn figures read from result cubes; each is saved atomically as PNG."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402
import xarray as xr  # noqa: E402

from invrl.io import atomic_path  # noqa: E402


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
    fig.suptitle(f"{cube.attrs.get('experiment', '')}: gap to optimum (%)")
    _save(fig, path)


def gap_lines(cube: xr.Dataset, path, x: str = "lead_time", hue: str = "shortage_cost") -> None:
    """Gap to the optimum (%) against ``x``, one line per ``hue`` value and panel per policy."""
    frame = cube["gap"].mean("seed").max("train_size").to_dataframe().reset_index()  # keeps the grid coordinates
    grid = sns.relplot(data=frame, x=x, y="gap", hue=hue, col="policy", kind="line", marker="o", height=3, palette="viridis")
    grid.set_axis_labels(x.replace("_", " "), "gap to optimum (%)")
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
    fig.suptitle(f"{cube.attrs.get('experiment', '')}: HDPO learning curves (lower is better)")
    _save(fig, path)
