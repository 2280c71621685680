"""Figures of a processed real data set (seaborn, Agg backend), each saved atomically as PNG.

* ``intermittency``: share of zero periods per series (and location), with
  the Syntetos-Boylan plane (ADI against CV² of non-zero demand);
* ``seasonality``: mean demand per ISO week of year, each series first
  divided by its own mean so large series do not dominate, one line per year;
* ``sample``: a few series picked evenly along the ranking by mean demand,
  with the train / dev / test cost windows shaded.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

from invrl.demand.real.data_card import intermittency  # noqa: E402
from invrl.demand.real.features import SPLITS, RealDemand, resolve_windows  # noqa: E402
from invrl.io import atomic_path  # noqa: E402

FIGURES = ("intermittency", "seasonality", "sample")
SPLIT_COLOURS = {"train": "#4c72b0", "dev": "#dd8452", "test": "#55a868"}


def _save(fig, path) -> None:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=130, bbox_inches="tight", format="png")
    plt.close(fig)


def _title(real: RealDemand, name: str) -> str:
    return name or real.data.meta.get("dataset", "")


def plot_intermittency(real: RealDemand, path, name: str = "") -> None:
    """Histogram of the share of zero periods per series; ADI-CV² scatter with the SBC cut-offs."""
    stats = intermittency(real.data.demand.numpy().astype(np.float64))
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.6))
    sns.histplot(x=stats["zero_share"], bins=np.linspace(0, 1, 41), ax=ax1, color="#4c72b0")
    median = float(np.median(stats["zero_share"]))
    ax1.axvline(median, color="k", ls="--", lw=1)
    ax1.set(xlabel="share of zero periods per series", ylabel="series", title=f"median {median:.2f}")
    ok = np.isfinite(stats["adi"]) & np.isfinite(stats["cv2"])
    sns.scatterplot(x=stats["adi"][ok], y=np.clip(stats["cv2"][ok], 1e-3, None), s=8, alpha=0.4, ax=ax2, edgecolor=None)
    ax2.axvline(1.32, color="k", ls=":", lw=1)
    ax2.axhline(0.49, color="k", ls=":", lw=1)
    ax2.set(yscale="log", xlabel="average inter-demand interval (ADI)", ylabel="CV² of non-zero demand (log)",
            title="Syntetos-Boylan plane")
    fig.suptitle(f"{_title(real, name)}: intermittency ({real.data.n_samples * real.data.n_locations} series)")
    fig.tight_layout()
    _save(fig, path)


def seasonality_frame(real: RealDemand) -> pd.DataFrame:
    """Mean of demand / series mean per (year, ISO week of year)."""
    d = real.data.demand.numpy().astype(np.float64)
    flat = d.reshape(-1, d.shape[-1])
    means = flat.mean(-1, keepdims=True)
    rel = np.divide(flat, means, out=np.zeros_like(flat), where=means > 0).mean(0)
    dates = real.dates
    iso = dates.isocalendar()
    frame = pd.DataFrame({"year": iso.year.to_numpy(), "week": iso.week.to_numpy(), "relative demand": rel})
    return frame.groupby(["year", "week"], as_index=False)["relative demand"].mean()


def plot_seasonality(real: RealDemand, path, name: str = "") -> None:
    frame = seasonality_frame(real)
    fig, ax = plt.subplots(figsize=(8, 3.6))
    sns.lineplot(data=frame, x="week", y="relative demand", hue="year", palette="viridis", marker="o", markersize=3, ax=ax)
    ax.axhline(1.0, color="k", lw=0.8, ls=":")
    ax.set(xlabel="ISO week of year", ylabel="demand / series mean (mean over series)",
           title=f"{_title(real, name)}: seasonality")
    _save(fig, path)


def sample_indices(real: RealDemand, n: int) -> list[tuple[int, int]]:
    """``n`` (series, location) pairs evenly spaced along the ranking by mean demand (deterministic)."""
    means = real.data.demand.mean(-1).numpy()
    order = np.argsort(-means.ravel(), kind="stable")
    picks = order[np.unique(np.linspace(0, len(order) - 1, min(n, len(order))).round().astype(int))]
    return [divmod(int(i), real.data.n_locations) for i in picks]


def plot_sample(real: RealDemand, path, name: str = "", n: int = 8) -> None:
    picks = sample_indices(real, n)
    dates = real.dates
    windows = resolve_windows(real.windows, real.data.n_periods)
    descriptions = real.report.get("descriptions", {})
    cols = 2
    rows = (len(picks) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(11, 2.0 * rows), sharex=True, squeeze=False)
    for ax, (s, loc) in zip(axes.ravel(), picks):
        series = real.data.demand[s, loc].numpy()
        for split in SPLITS:
            a, b = windows[split]
            ax.axvspan(dates[a], dates[b - 1], color=SPLIT_COLOURS[split], alpha=0.12, lw=0,
                       label=split if (s, loc) == picks[0] else None)
        ax.plot(dates, series, lw=0.9, color="k", drawstyle="steps-post")
        label = real.series[s]
        if descriptions.get(label):
            label = f"{label} {descriptions[label][:28]}"
        if real.data.n_locations > 1:
            label = f"{label}, store {real.locations[loc]}"
        ax.set_title(label, fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in axes.ravel()[len(picks):]:
        ax.set_visible(False)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper right", ncol=3, fontsize=8, title="cost windows")
    fig.suptitle(f"{_title(real, name)}: sample of series ({real.frequency} demand)")
    fig.tight_layout(rect=(0, 0, 1, 0.95))
    _save(fig, path)


def plot_data_figure(real: RealDemand, figure: str, path, name: str = "", sample_series: int = 8) -> None:
    if figure == "intermittency":
        plot_intermittency(real, path, name)
    elif figure == "seasonality":
        plot_seasonality(real, path, name)
    elif figure == "sample":
        plot_sample(real, path, name, sample_series)
    else:
        raise ValueError(f"unknown data figure {figure!r}; expected one of {FIGURES}")
