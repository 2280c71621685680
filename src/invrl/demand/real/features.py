"""Observable features, time-window splits and the processed real-data container.

What a policy may see at period t (the start of period t, before demand):

* ``demand_lag_k`` (k = 1..H): demand of period t-k; 0 before the first period.
* ``history_complete``: 1 once all H lags exist (t >= H), else 0.
* calendar of period t, known in advance: ``weeks_to_christmas`` (weekly) or
  ``days_to_christmas`` (daily): whole periods from the start of period t to
  the period holding the next 25 December (0 in that period);
  ``week_of_year_sin/cos`` (ISO week of the period's first day);
  ``day_of_week_sin/cos`` (daily data only).
* exogenous series passed in by the loader (price, promotion); each loader
  documents whether its values are known in advance (a price the retailer
  set for period t) or must be lagged (a price only recorded with a sale).

Splits are time windows of the same series, as in the HDPO paper: each of
train / dev / test is a cost window ``[start, stop)`` preceded by ``warmup``
periods that are simulated (to reach a realistic state, and so policies see
real history) but whose cost is not counted. Cost windows do not overlap;
a warm-up may reach back into the previous window (that is history, not
leakage).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import torch

from invrl.demand.data import DemandData, Splits
from invrl.demand.real.fetch import RealDataError
from invrl.io import atomic_path

SPLITS = ("train", "dev", "test")
FREQUENCIES = {"weekly": 7, "daily": 1}


# --------------------------------------------------------------------------- features


def lag_features(demand: torch.Tensor, length: int) -> torch.Tensor:
    """``[S, N, T, length]``: column k-1 holds demand of period t-k (0 where t-k < 0)."""
    s, n, t = demand.shape
    out = torch.zeros(s, n, t, length, dtype=torch.float32)
    for k in range(1, length + 1):
        if k < t:
            out[:, :, k:, k - 1] = demand[:, :, : t - k]
    return out


def lagged_last_observed(values: np.ndarray, fill: float = 0.0) -> np.ndarray:
    """Last non-NaN value strictly before each period, along the last axis (``fill`` before any).

    For quantities observed only together with period t's outcome (a price
    recorded with a sale): at t the policy knows only earlier observations.
    """
    shifted = np.concatenate([np.full(values.shape[:-1] + (1,), np.nan), values[..., :-1]], axis=-1)
    return forward_fill(shifted, fill)


def forward_fill(values: np.ndarray, fill: float = 0.0) -> np.ndarray:
    """Carry the last non-NaN value forward along the last axis (causal); ``fill`` before any."""
    flat = values.reshape(-1, values.shape[-1])
    frame = pd.DataFrame(flat.T).ffill().fillna(fill)
    return frame.to_numpy().T.reshape(values.shape).astype(np.float32)


def calendar_features(starts: pd.DatetimeIndex, frequency: str) -> tuple[np.ndarray, tuple[str, ...]]:
    """``[T, F]`` calendar features of each period (all known in advance) and their names."""
    days = FREQUENCIES[frequency]
    starts = pd.DatetimeIndex(starts).normalize()
    year = starts.year.to_numpy()
    xmas = pd.to_datetime(pd.DataFrame({"year": year, "month": 12, "day": 25}))
    xmas_next = pd.to_datetime(pd.DataFrame({"year": year + 1, "month": 12, "day": 25}))
    # The first 25 December on or after the period's first day; 0 periods away if inside this period.
    target = np.where(np.asarray(xmas) >= np.asarray(starts), np.asarray(xmas), np.asarray(xmas_next))
    until = (target - np.asarray(starts)).astype("timedelta64[D]").astype(np.int64) // days
    week = starts.isocalendar().week.to_numpy().astype(np.float64)
    columns = [until.astype(np.float64), np.sin(2 * math.pi * week / 52.18), np.cos(2 * math.pi * week / 52.18)]
    names = ["weeks_to_christmas" if frequency == "weekly" else "days_to_christmas", "week_of_year_sin", "week_of_year_cos"]
    if frequency == "daily":
        dow = starts.day_of_week.to_numpy().astype(np.float64)
        columns += [np.sin(2 * math.pi * dow / 7), np.cos(2 * math.pi * dow / 7)]
        names += ["day_of_week_sin", "day_of_week_cos"]
    return np.stack(columns, axis=-1).astype(np.float32), tuple(names)


def build_features(
    demand: torch.Tensor,
    starts: pd.DatetimeIndex,
    frequency: str,
    history: int,
    calendar: bool = True,
    exogenous: dict[str, np.ndarray] | None = None,
) -> tuple[torch.Tensor, tuple[str, ...]]:
    """Stack lags, the history flag, calendar and exogenous ``[S, N, T]`` arrays into ``[S, N, T, F]``.

    Exogenous arrays must already be causal (the loader lags what is not known in advance).
    """
    s, n, t = demand.shape
    parts = [lag_features(demand, history)] if history > 0 else []
    names = [f"demand_lag_{k}" for k in range(1, history + 1)]
    if history > 0:
        flag = (torch.arange(t) >= history).float()
        parts.append(flag.expand(s, n, t)[..., None])
        names.append("history_complete")
    if calendar:
        cal, cal_names = calendar_features(starts, frequency)
        parts.append(torch.from_numpy(cal).expand(s, n, t, cal.shape[-1]))
        names += cal_names
    for name, values in (exogenous or {}).items():
        parts.append(torch.as_tensor(np.asarray(values, dtype=np.float32)).reshape(s, n, t)[..., None])
        names.append(name)
    if not parts:
        return None, ()
    return torch.cat(parts, dim=-1).contiguous(), tuple(names)


# --------------------------------------------------------------------------- windows


def resolve_windows(windows: dict, n_periods: int) -> dict:
    """Windows with ``null`` stops replaced by ``n_periods``, checked; raises ``ValueError`` if unusable."""
    warmup = int(windows.get("warmup", 0))
    out = {"warmup": warmup}
    for name in SPLITS:
        start, stop = windows[name]
        stop = n_periods if stop is None else int(stop)
        start = int(start)
        if start < 0 or stop > n_periods or start >= stop:
            raise ValueError(f"window {name}={windows[name]} must satisfy 0 <= start < stop <= {n_periods} periods")
        if start - warmup < 0:
            raise ValueError(f"window {name} starts at period {start}, before its warm-up of {warmup} periods")
        out[name] = [start, stop]
    for a, b in zip(SPLITS, SPLITS[1:]):
        if out[a][1] > out[b][0]:
            raise ValueError(f"cost windows overlap: {a}={out[a]} ends after {b}={out[b]} starts")
    return out


def time_splits(data: DemandData, windows: dict) -> Splits:
    """Train / dev / test: each window with its warm-up periods in front (``meta['warmup']``)."""
    w = resolve_windows(windows, data.n_periods)
    parts = {}
    for name in SPLITS:
        start, stop = w[name]
        part = data.periods(start - w["warmup"], stop)
        parts[name] = replace(part, meta={**part.meta, "split": name, "warmup": w["warmup"], "cost_window": [start, stop]})
    return Splits(**parts)


# --------------------------------------------------------------------------- container


@dataclass
class RealDemand:
    """A processed real data set: demand and features plus the labels a table or figure needs."""

    data: DemandData
    series: list[str]
    """One label per sample (product code, brand)."""
    locations: list[str]
    """One label per location (store), ``["all"]`` for single-location data."""
    period_starts: list[str]
    """ISO date of each period's first day."""
    frequency: str
    windows: dict
    """``{"warmup": W, "train": [start, stop], "dev": [...], "test": [...]}`` in periods."""
    report: dict = field(default_factory=dict)
    """What preprocessing did: filters and the rows / series they removed, imputation, units."""

    @property
    def dates(self) -> pd.DatetimeIndex:
        return pd.DatetimeIndex(pd.to_datetime(self.period_starts))

    def splits(self) -> Splits:
        return time_splits(self.data, self.windows)

    def subset(self, index) -> RealDemand:
        """Only the series ``index`` (a list or tensor of sample indices)."""
        idx = torch.as_tensor(index, dtype=torch.long)
        return replace(self, data=self.data.samples(idx), series=[self.series[i] for i in idx.tolist()])

    def window_dates(self) -> dict:
        """Each split's warm-up start, cost start and last period as dates."""
        days = FREQUENCIES[self.frequency]
        d = self.dates
        w = resolve_windows(self.windows, self.data.n_periods)
        out = {"warmup": w["warmup"]}
        for name in SPLITS:
            start, stop = w[name]
            out[name] = {
                "periods": [start, stop],
                "warmup_from": str(d[start - w["warmup"]].date()),
                "from": str(d[start].date()),
                "to": str((d[stop - 1] + pd.Timedelta(days=days - 1)).date()),
                "cost_periods": stop - start,
            }
        return out


def save_real_demand(real: RealDemand, path) -> None:
    """``torch.save`` plain tensors, strings and JSON (loadable with ``weights_only=True``), atomically."""
    d = real.data
    payload = {
        "format": "invrl.real_demand/1",
        "demand": d.demand.contiguous(),
        "features": d.features,
        "feature_names": list(d.feature_names),
        "sample_params": dict(d.sample_params),
        "meta": json.dumps(d.meta),
        "series": list(real.series),
        "locations": list(real.locations),
        "period_starts": list(real.period_starts),
        "frequency": real.frequency,
        "windows": json.dumps(real.windows),
        "report": json.dumps(real.report),
    }
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)


def load_real_demand(path) -> RealDemand:
    try:
        payload = torch.load(path, weights_only=True)
        data = DemandData(
            demand=payload["demand"],
            features=payload["features"],
            feature_names=tuple(payload["feature_names"]),
            sample_params=payload["sample_params"],
            meta=json.loads(payload["meta"]),
        )
    except Exception as error:  # noqa: BLE001 - any failure means the file is unusable
        raise RealDataError(f"{path}: not a readable processed real-demand file ({type(error).__name__}: {error})") from None
    return RealDemand(
        data=data,
        series=list(payload["series"]),
        locations=list(payload["locations"]),
        period_starts=list(payload["period_starts"]),
        frequency=payload["frequency"],
        windows=json.loads(payload["windows"]),
        report=json.loads(payload["report"]),
    )


def train_mean(demand: torch.Tensor, windows: dict) -> torch.Tensor:
    """Mean demand ``[S, N]`` over the train cost window (a per-sample scale known to every split)."""
    w = resolve_windows(windows, demand.shape[-1])
    start, stop = w["train"]
    return demand[..., start:stop].mean(-1)
