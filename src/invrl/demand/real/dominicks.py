"""Dominick's Finer Foods refrigerated orange juice (Kilts Center; academic use only).

Raw file: ``orangeJuice.rda`` of the R package bayesm (Debian
``r-cran-bayesm``), read without R by the pure-Python ``rdata`` package. It
holds a list of two data frames: ``yx`` (store, brand, week, logmove,
constant, price1..price11, deal, feat, profit; one row per store, brand and
week with data) and ``storedemo`` (STORE and ten demographic variables).

The parser is split so each part can be tested alone:
``read_orange_juice`` (rda -> DataFrames) -> ``preprocess_dominicks``
(DataFrames -> :class:`RealDemand` ``[brand, store, week]``).

Units: ``exp(logmove)`` rounded to the nearest whole number (bayesm: "units
sold"; the values are multiples of 16, so they look like ounces), divided
by ``unit_divisor`` (default 1: the numbers as published).

Missing store-weeks: 83 stores x 121 weeks (40..160) with 394 store-weeks
absent for all brands at once (3.9 %). Stores missing more than
``max_missing_share`` of the weeks are dropped (default 0.1: drops stores
64, 134 and 137, which miss 14, 34 and 23 weeks). In the kept stores a
missing week is imputed causally (``impute: ffill``): the store-brand's
last observed week, or, before its first observation, the median of the
same brand in the other stores that week; ``impute: zero`` sets it to 0.
Price, in-store deal and feature advertisement of week t are set by the
retailer in advance, so they are features of week t itself; missing weeks
carry the last price forward (before the first: the brand's mean price
over the stores that week) and count as no deal and no feature.

Week w starts on ``week1_start + 7 (w - 1)`` days (Dominick's data manual:
week 1 is the week of 14 September 1989), which feeds the calendar features.
"""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pandas as pd
import torch

from invrl.demand.data import DemandData
from invrl.demand.real.features import RealDemand, build_features, forward_fill, resolve_windows, train_mean
from invrl.demand.real.fetch import RealDataError

N_BRANDS = 11
YX_COLUMNS = ("store", "brand", "week", "logmove", *(f"price{i}" for i in range(1, N_BRANDS + 1)), "deal", "feat")
STOREDEMO_COLUMNS = ("STORE",)
BRANDS = {
    1: "Tropicana Premium 64 oz",
    2: "Tropicana Premium 96 oz",
    3: "Florida's Natural 64 oz",
    4: "Tropicana 64 oz",
    5: "Minute Maid 64 oz",
    6: "Minute Maid 96 oz",
    7: "Citrus Hill 64 oz",
    8: "Tree Fresh 64 oz",
    9: "Florida Gold 64 oz",
    10: "Dominick's 64 oz",
    11: "Dominick's 128 oz",
}
DEFAULT_FILTERS = {"max_missing_share": 0.1, "impute": "ffill", "unit_divisor": 1}
WEEK1_START = "1989-09-14"


def check_columns(frame: pd.DataFrame, required, what: str, path) -> None:
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise RealDataError(f"{path}: {what} is missing columns {missing} (found {list(frame.columns)})")


def read_orange_juice(path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(yx, storedemo)`` from ``orangeJuice.rda``; :class:`RealDataError` naming ``path`` if unusable."""
    import rdata

    try:
        converted = rdata.read_rda(path)
    except FileNotFoundError:
        raise RealDataError(f"{path}: file not found (run the fetch_dominicks rule or set its path)") from None
    except Exception as error:  # noqa: BLE001 - rdata raises many types for a damaged file
        raise RealDataError(
            f"{path}: not a readable R data file: corrupt or truncated ({type(error).__name__}: {error})"
        ) from None
    oj = converted.get("orangeJuice")
    if not isinstance(oj, dict) or not {"yx", "storedemo"} <= {str(k) for k in oj}:
        raise RealDataError(f"{path}: has no list orangeJuice with data frames yx and storedemo (objects: {list(converted)})")
    oj = {str(k): v for k, v in oj.items()}
    yx, storedemo = oj["yx"], oj["storedemo"]
    if not isinstance(yx, pd.DataFrame) or not isinstance(storedemo, pd.DataFrame):
        raise RealDataError(f"{path}: orangeJuice$yx and orangeJuice$storedemo must be data frames")
    yx, storedemo = yx.copy(), storedemo.copy()
    yx.columns = [str(c) for c in yx.columns]
    storedemo.columns = [str(c) for c in storedemo.columns]
    check_columns(yx, YX_COLUMNS, "orangeJuice$yx", path)
    check_columns(storedemo, STOREDEMO_COLUMNS, "orangeJuice$storedemo", path)
    return yx, storedemo


def _brand_week_stat(values: np.ndarray, how: str) -> np.ndarray:
    """Same-week statistic over stores ``[B, 1, T]`` of a ``[B, S, T]`` array with NaNs (NaN if all NaN)."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN weeks give NaN, handled by the caller
        return (np.nanmedian if how == "median" else np.nanmean)(values, axis=1, keepdims=True)


def causal_impute(values: np.ndarray, how: str = "median") -> np.ndarray:
    """Forward-fill along weeks; before a series' first value use the same-week cross-store ``how``; else 0."""
    filled = forward_fill(values, fill=np.nan)
    fallback = np.broadcast_to(_brand_week_stat(values, how), values.shape)
    filled = np.where(np.isnan(filled), fallback, filled)
    return np.nan_to_num(filled, nan=0.0).astype(np.float32)


def preprocess_dominicks(yx: pd.DataFrame, storedemo: pd.DataFrame, cfg: dict, source: str = "") -> RealDemand:
    """The ``yx`` panel -> :class:`RealDemand` ``[brand, store, week]`` (see the module docstring)."""
    name = source or "orange juice data"
    check_columns(yx, YX_COLUMNS, "orangeJuice$yx", name)
    filters = {**DEFAULT_FILTERS, **cfg.get("filters", {})}
    frame = yx[list(YX_COLUMNS)].copy()
    for column in ("store", "brand", "week"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce")
    frame = frame.astype({c: "float64" for c in YX_COLUMNS})
    if frame[["store", "brand", "week", "logmove"]].isna().any().any():
        raise RealDataError(f"{name}: store, brand, week or logmove has missing or non-numeric values")
    if frame.duplicated(["store", "brand", "week"]).any():
        raise RealDataError(f"{name}: duplicate rows for one store, brand and week")
    bad_brand = sorted(set(frame["brand"].astype(int)) - set(BRANDS))
    if bad_brand:
        raise RealDataError(f"{name}: unknown brand numbers {bad_brand} (expected 1..{N_BRANDS})")

    brands = sorted(frame["brand"].astype(int).unique())
    stores_all = sorted(frame["store"].astype(int).unique())
    week0, week1 = int(frame["week"].min()), int(frame["week"].max())
    n_weeks = week1 - week0 + 1
    b_idx = np.searchsorted(brands, frame["brand"].astype(int))
    s_idx = np.searchsorted(stores_all, frame["store"].astype(int))
    t_idx = frame["week"].astype(int).to_numpy() - week0

    def panel(values) -> np.ndarray:
        out = np.full((len(brands), len(stores_all), n_weeks), np.nan)
        out[b_idx, s_idx, t_idx] = values
        return out

    units = np.rint(np.exp(frame["logmove"].to_numpy())) / float(filters["unit_divisor"])
    demand = panel(units)
    own_price = frame[[f"price{b}" for b in range(1, N_BRANDS + 1)]].to_numpy()[np.arange(len(frame)), frame["brand"].astype(int) - 1]
    price, deal, feat = panel(own_price), panel(frame["deal"].to_numpy()), panel(frame["feat"].to_numpy())

    # Store filter: share of weeks with no row (a store-week is missing for all brands at once in this data).
    missing = np.isnan(demand)
    store_missing = missing.mean(axis=(0, 2))
    max_share = float(filters["max_missing_share"])
    kept = np.flatnonzero(store_missing <= max_share + 1e-12)
    if len(kept) == 0:
        raise RealDataError(f"{name}: every store misses more than {max_share:.0%} of its weeks")
    dropped = [
        {"store": int(stores_all[i]), "missing_weeks": int(missing[:, i].any(axis=0).sum())}
        for i in np.flatnonzero(store_missing > max_share + 1e-12)
    ]
    stores = [stores_all[i] for i in kept]
    demand, price, deal, feat, missing = (a[:, kept] for a in (demand, price, deal, feat, missing))

    imputed = int(missing.sum())
    if filters["impute"] == "ffill":
        demand = causal_impute(demand, "median")
    elif filters["impute"] == "zero":
        demand = np.nan_to_num(demand, nan=0.0).astype(np.float32)
    else:
        raise ValueError(f"impute must be ffill or zero, got {filters['impute']!r}")
    price = causal_impute(price, "mean")
    deal = np.nan_to_num(deal, nan=0.0).astype(np.float32)
    feat = np.nan_to_num(feat, nan=0.0).astype(np.float32)

    demand_t = torch.from_numpy(np.ascontiguousarray(demand, dtype=np.float32))
    week1_start = pd.Timestamp(cfg.get("week1_start", WEEK1_START))
    starts = pd.DatetimeIndex([week1_start + pd.Timedelta(days=7 * (w - 1)) for w in range(week0, week1 + 1)])
    windows = resolve_windows(cfg["windows"], n_weeks)
    exogenous = {"price": price, "deal": deal, "feature_ad": feat} if cfg.get("price", True) else {}
    features, names = build_features(
        demand_t, starts, "weekly", int(cfg.get("history", 8)), bool(cfg.get("calendar", True)), exogenous
    )
    demo = storedemo.copy()
    demo.columns = [str(c) for c in demo.columns]
    demo = demo.set_index(demo["STORE"].astype(int))
    report = {
        "raw_rows": len(yx),
        "brands": len(brands),
        "stores_in_file": len(stores_all),
        "weeks": [week0, week1],
        "store_weeks_missing": int(np.isnan(panel(units))[0].sum()),
        "store_weeks_total": len(stores_all) * n_weeks,
        "store_filter": {
            "rule": f"drop stores missing more than {max_share:.0%} of the {n_weeks} weeks",
            "stores_dropped": dropped,
            "stores_left": len(stores),
        },
        "imputed_cells": imputed,
        "imputed_share": imputed / demand.size,
        "filters": filters,
        "units": f"round(exp(logmove)) / {filters['unit_divisor']} (bayesm: units sold; multiples of 16)",
        "week1_start": str(week1_start.date()),
        "feature_notes": {
            "demand_lag_k": "demand of week t-k (0 before the first week); imputed weeks count as observed",
            "calendar": "of week t, known in advance",
            "price": "own-brand shelf price of week t (USD per ounce as published; set in advance)",
            "deal": "in-store coupon activity in week t (0/1; set in advance)",
            "feature_ad": "feature advertisement in week t (share; set in advance)",
        },
        "brand_names": {str(b): BRANDS[b] for b in brands},
        "store_demographics": {
            str(s): {k: (None if pd.isna(v) else float(v)) for k, v in demo.loc[s].drop("STORE").items()}
            for s in stores if s in demo.index
        },
    }
    data = DemandData(
        demand=demand_t,
        features=features,
        feature_names=names,
        sample_params={"demand_mean": train_mean(demand_t, windows)},
        meta={"dataset": cfg.get("name", "dominicks"), "source": "dominicks", "frequency": "weekly", "file": str(source),
              "first_period": str(starts[0].date()), "first_week": week0},
    )
    print(
        f"dominicks: {len(yx)} rows -> {len(brands)} brands x {len(stores)} stores x {n_weeks} weeks "
        f"({len(dropped)} stores dropped, {imputed} cells imputed)",
        file=sys.stderr,
    )
    return RealDemand(
        data=data, series=[BRANDS[b] for b in brands], locations=[str(s) for s in stores],
        period_starts=[str(d.date()) for d in starts], frequency="weekly", windows=windows, report=report,
    )


def load_dominicks(path, cfg: dict) -> RealDemand:
    """Read and preprocess the raw file in one call."""
    yx, storedemo = read_orange_juice(path)
    return preprocess_dominicks(yx, storedemo, cfg, source=str(path))
