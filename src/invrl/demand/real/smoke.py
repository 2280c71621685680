"""Smoke experiment on real demand: a base-stock level per series fitted on train, cost on test.

For each series and location (they are independent single-location
systems here) the level is chosen by simulated cost on the train window:
``candidates`` levels from 0 to (L+1) times the largest train-period demand
are tried in one vectorised rollout (samples repeated once per candidate;
the critical-fractile level, the p/(p+h) quantile of the (L+1)-period
demand sums in the train window, is one more candidate), the per-series
argmin is taken, and the grid is refined ``refine`` times around it. The
critical-fractile level is also reported on its own as a reference. Costs are per period and location after each window's warm-up;
lower is better.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import replace

import numpy as np
import torch
import xarray as xr

from invrl.demand.data import DemandData
from invrl.demand.real.features import RealDemand
from invrl.policies.heuristics import BaseStockPolicy
from invrl.rollout import rollout
from invrl.systems.single_location import SingleLocation

MAX_ROWS = 1 << 17  # repeated samples simulated at once


def _system(demand_mean: torch.Tensor, n_locations: int, cfg: dict) -> SingleLocation:
    return SingleLocation(
        lead_time=int(cfg["lead_time"]),
        holding_cost=float(cfg["holding_cost"]),
        shortage_cost=float(cfg["shortage_cost"]),
        lost_sales=bool(cfg["lost_sales"]),
        demand_mean=demand_mean,
        n_locations=n_locations,
    )


def _strip(data: DemandData) -> DemandData:
    """Demand only: base-stock ignores features, and repeating them K times would waste memory."""
    return replace(data, features=None, feature_names=())


def evaluate_levels(data: DemandData, levels: torch.Tensor, demand_mean: torch.Tensor, cfg: dict, warmup: int):
    """Cost per period ``[S, N]`` after ``warmup`` of base-stock ``levels`` ``[S, N]``, and (sales, demand) totals."""
    data = _strip(data)
    system = _system(demand_mean, data.n_locations, cfg)
    with torch.no_grad():
        trajectory = rollout(system, BaseStockPolicy(levels), data, totals_from=warmup)
    cost = trajectory.cost[..., warmup:].mean(-1)
    return cost, trajectory.totals["sales"], trajectory.totals["demand"]


def grid_costs(data: DemandData, grid: torch.Tensor, demand_mean: torch.Tensor, cfg: dict, warmup: int) -> torch.Tensor:
    """Train cost ``[K, S, N]`` of every candidate level ``grid[k, s, n]``, in chunks of samples x candidates."""
    data = _strip(data)
    k, s, n = grid.shape
    per_chunk = max(1, MAX_ROWS // (s * n))
    out = []
    for start in range(0, k, per_chunk):
        stop = min(k, start + per_chunk)
        reps = stop - start
        rows = torch.arange(s).repeat(reps)
        repeated = data.samples(rows)
        system = _system(demand_mean[rows], n, cfg)
        policy = BaseStockPolicy(grid[start:stop].reshape(reps * s, n))
        with torch.no_grad():
            trajectory = rollout(system, policy, repeated)
        out.append(trajectory.cost[..., warmup:].mean(-1).reshape(reps, s, n))
    return torch.cat(out)


def fit_levels(
    data: DemandData, demand_mean: torch.Tensor, cfg: dict, warmup: int, extra: torch.Tensor | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-series grid search on simulated train cost: ``(levels [S, N], train cost [S, N])``.

    ``extra`` ``[E, S, N]`` are further candidates tried in the first round
    (the critical-fractile level), so the search is never worse on train.
    """
    k = int(cfg.get("candidates", 41))
    lead = int(cfg["lead_time"])
    top = (lead + 1) * data.demand[..., warmup:].amax(-1).clamp_min(1.0)  # [S, N]
    lo, hi = torch.zeros_like(top), top
    best_level = best_cost = None
    for round_ in range(1 + int(cfg.get("refine", 1))):
        frac = torch.linspace(0.0, 1.0, k)[:, None, None]
        grid = lo + frac * (hi - lo)  # [K, S, N]
        if round_ == 0 and extra is not None:
            grid = torch.cat([grid, extra])
        costs = grid_costs(data, grid, demand_mean, cfg, warmup)
        arg = costs.argmin(0, keepdim=True)
        level = grid.gather(0, arg)[0]
        cost = costs.gather(0, arg)[0]
        if best_cost is None:
            best_level, best_cost = level, cost
        else:
            better = cost < best_cost
            best_level, best_cost = torch.where(better, level, best_level), torch.minimum(cost, best_cost)
        step = (hi - lo) / (k - 1)
        lo, hi = (best_level - step).clamp_min(0.0), best_level + step
    return best_level, best_cost


def fractile_levels(data: DemandData, cfg: dict, warmup: int) -> torch.Tensor:
    """The p/(p+h) quantile of (L+1)-period demand sums over the train cost window, ``[S, N]``."""
    lead = int(cfg["lead_time"])
    d = data.demand[..., warmup:]
    sums = d.unfold(-1, lead + 1, 1).sum(-1) if d.shape[-1] > lead else d.sum(-1, keepdim=True)
    ratio = float(cfg["shortage_cost"]) / (float(cfg["shortage_cost"]) + float(cfg["holding_cost"]))
    return torch.quantile(sums, ratio, dim=-1)


def select_series(real: RealDemand, max_series: int | None) -> RealDemand:
    """The ``max_series`` series with the largest train-window demand (all when ``None``), in their original order."""
    if max_series is None or max_series >= real.data.n_samples:
        return real
    volume = real.data.sample_params["demand_mean"].sum(-1)
    top = torch.sort(torch.topk(volume, int(max_series)).indices).values
    return real.subset(top)


def run_smoke(real: RealDemand, cfg: dict, *, max_series: int | None = None, provenance: dict | None = None) -> xr.Dataset:
    """Fit on train, report train/dev/test cost per series and location as an xarray Dataset."""
    torch.manual_seed(0)
    real = select_series(real, max_series)
    splits = real.splits()
    warmup = int(real.windows["warmup"])
    mean = real.data.sample_params["demand_mean"]
    started = time.perf_counter()
    level_cf = fractile_levels(splits.train, cfg, warmup)
    level, train_cost = fit_levels(splits.train, mean, cfg, warmup, extra=level_cf[None])
    print(f"fitted {real.data.n_samples} x {real.data.n_locations} base-stock levels in "
          f"{time.perf_counter() - started:.1f} s", file=sys.stderr)
    dev_cost, _, _ = evaluate_levels(splits.dev, level, mean, cfg, warmup)
    test_cost, sales, test_demand = evaluate_levels(splits.test, level, mean, cfg, warmup)
    test_cost_cf, sales_cf, _ = evaluate_levels(splits.test, level_cf, mean, cfg, warmup)
    train_cost_cf, _, _ = evaluate_levels(splits.train, level_cf, mean, cfg, warmup)
    periods = splits.test.n_periods - warmup
    test_mean = test_demand / periods
    safe = torch.where(test_demand > 0, test_demand, torch.full_like(test_demand, float("nan")))

    def var(t: torch.Tensor, doc: str):
        return (("series", "location"), t.detach().cpu().numpy().astype(np.float64), {"description": doc})

    ds = xr.Dataset(
        {
            "level": var(level, "base-stock level fitted by grid search on simulated train cost"),
            "level_fractile": var(level_cf, "critical-fractile base-stock level (train demand quantile)"),
            "train_cost": var(train_cost, "cost per period on the train window (grid-search level)"),
            "train_cost_fractile": var(train_cost_cf, "cost per period on the train window (fractile level)"),
            "dev_cost": var(dev_cost, "cost per period on the dev window (grid-search level)"),
            "test_cost": var(test_cost, "cost per period on the test window (grid-search level); lower is better"),
            "test_cost_fractile": var(test_cost_cf, "cost per period on the test window (fractile level)"),
            "test_mean_demand": var(test_mean, "mean demand per period in the test window"),
            "test_cost_per_unit": var(test_cost / (safe / periods), "test cost per unit of mean demand (grid-search)"),
            "test_fill_rate": var(sales / safe, "share of test demand served from stock (grid-search)"),
            "test_fill_rate_fractile": var(sales_cf / safe, "share of test demand served from stock (fractile)"),
        },
        coords={"series": list(real.series), "location": list(real.locations)},
        attrs={
            "dataset": real.data.meta.get("dataset", ""),
            "frequency": real.frequency,
            "lead_time": int(cfg["lead_time"]),
            "holding_cost": float(cfg["holding_cost"]),
            "shortage_cost": float(cfg["shortage_cost"]),
            "lost_sales": int(bool(cfg["lost_sales"])),
            "candidates": int(cfg.get("candidates", 41)),
            "refine": int(cfg.get("refine", 1)),
            "max_series": -1 if max_series is None else int(max_series),
            "windows": json.dumps(real.window_dates()),
            "provenance": json.dumps(provenance or {}),
        },
    )
    return ds


def _fmt(x: float, digits: int = 2) -> str:
    return "nan" if not np.isfinite(x) else f"{x:,.{digits}f}"


def smoke_markdown(ds: xr.Dataset, rows: int = 20) -> str:
    """A markdown summary (averages over series) and the ``rows`` largest series."""
    w = json.loads(ds.attrs["windows"])
    policy = "lost sales" if ds.attrs["lost_sales"] else "backlog"
    n_series, n_loc = ds.sizes["series"], ds.sizes["location"]
    lines = [
        f"# Base-stock smoke test on {ds.attrs['dataset']} ({ds.attrs['frequency']})",
        "",
        f"Single-location {policy} system per series and location: lead time {ds.attrs['lead_time']}, "
        f"holding cost {ds.attrs['holding_cost']:g}, shortage cost {ds.attrs['shortage_cost']:g}. "
        f"Levels fitted on the train window ({w['train']['from']} to {w['train']['to']}), "
        f"test window {w['test']['from']} to {w['test']['to']} ({w['test']['cost_periods']} periods after "
        f"{w['warmup']} warm-up periods). {n_series} series x {n_loc} location(s). "
        "Cost per period and location; lower is better. Fill rate: higher is better.",
        "",
        "| policy | train cost | test cost | test cost / mean demand (median) | test fill rate |",
        "|---|---:|---:|---:|---:|",
    ]
    for label, suffix in (("base-stock, grid search on train cost", ""), ("base-stock, critical fractile", "_fractile")):
        unit = (ds[f"test_cost{suffix}"] / ds["test_mean_demand"]).where(ds["test_mean_demand"] > 0)
        lines.append(
            f"| {label} | {_fmt(float(ds[f'train_cost{suffix}'].mean()))} | {_fmt(float(ds[f'test_cost{suffix}'].mean()))} "
            f"| {_fmt(float(unit.median()), 3)} | {_fmt(float(ds[f'test_fill_rate{suffix}'].mean()), 3)} |"
        )
    by_series = ds.mean("location")
    order = np.argsort(-by_series["test_mean_demand"].values, kind="stable")[:rows]
    shown = "every series" if len(order) == n_series else f"the {len(order)} series with the largest test demand"
    lines += [
        "",
        f"Per series ({shown}; {'mean over locations; ' if n_loc > 1 else ''}all series are in the CSV and netCDF):",
        "",
        "| series | level | test mean demand | test cost | test cost (fractile) | test fill rate |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for i in order:
        r = by_series.isel(series=int(i))
        lines.append(
            f"| {r.series.item()} | {_fmt(float(r.level), 1)} | {_fmt(float(r.test_mean_demand), 1)} | "
            f"{_fmt(float(r.test_cost))} | {_fmt(float(r.test_cost_fractile))} | {_fmt(float(r.test_fill_rate), 3)} |"
        )
    lines.append(f"| **average over {n_series} series** | | {_fmt(float(ds.test_mean_demand.mean()), 1)} | "
                 f"**{_fmt(float(ds.test_cost.mean()))}** | {_fmt(float(ds.test_cost_fractile.mean()))} | "
                 f"{_fmt(float(ds.test_fill_rate.mean()), 3)} |")
    return "\n".join(lines) + "\n"


def smoke_csv(ds: xr.Dataset) -> str:
    frame = ds.drop_attrs().to_dataframe().reset_index()
    return frame.to_csv(index=False, float_format="%.6g")
