"""Online Retail II (UCI; Daqing Chen; CC BY 4.0) as weekly or daily demand per product.

Raw file: every invoice line of a UK online gift wholesaler, 2009-12-01 to
2011-12-09 (``Invoice, StockCode, Description, Quantity, InvoiceDate, Price,
Customer ID, Country``; dates like ``12/1/2009 7:45``).

Filters, in order (each one's removed-row count goes into the data card):

1. cancellations: ``Invoice`` starting with ``C`` (negative quantities that
   reverse earlier lines);
2. adjustments: ``Invoice`` starting with ``A`` (bad-debt write-offs);
3. non-positive ``Quantity`` in ordinary invoices (returns, damages, stock
   write-offs, not demand);
4. non-positive ``Price`` (``drop_zero_price``; stock checks, "found", free
   samples; a quantity with no sale);
5. non-product codes: ``StockCode`` not matching ``stock_code_pattern``
   (default five digits plus up to two letters; removes POST, DOT, M, C2,
   BANK CHARGES, AMAZONFEE, gift vouchers, DCGS*, TEST*, ...). Codes are
   case-sensitive unless ``uppercase_codes`` (which merges e.g. 85123a into
   85123A);
6. series: products that sell in fewer than ``min_selling_weeks`` calendar
   weeks (Monday-Sunday) of the whole span; the same products are kept for
   daily data.

Demand is the summed ``Quantity`` per product and period, 0 where nothing
sold; periods are Monday-Sunday weeks (the first and last are partial:
2009-11-30 and 2011-12-05 start them) or calendar days (the shop does not
trade on most Saturdays, so those are zeros). Price is recorded only with a
sale, so the price feature is lagged: ``price_last`` at period t is the
average unit price (GBP, quantity-weighted) of the last period before t
with sales (0 before the first sale).
"""

from __future__ import annotations

import lzma
import sys

import numpy as np
import pandas as pd
import torch

from invrl.demand.data import DemandData
from invrl.demand.real.features import (
    FREQUENCIES,
    RealDemand,
    build_features,
    lagged_last_observed,
    resolve_windows,
    train_mean,
)
from invrl.demand.real.fetch import RealDataError

COLUMNS = ("Invoice", "StockCode", "Description", "Quantity", "InvoiceDate", "Price", "Customer ID", "Country")
DATE_FORMAT = "%m/%d/%Y %H:%M"
DEFAULT_FILTERS = {
    "drop_cancellations": True,
    "drop_adjustments": True,
    "drop_nonpositive_quantity": True,
    "drop_zero_price": True,
    "stock_code_pattern": r"^\d{5}[A-Za-z]{0,2}$",
    "uppercase_codes": False,
    "min_selling_weeks": 52,
}


def read_online_retail(path, date_format: str = DATE_FORMAT) -> pd.DataFrame:
    """The invoice lines, with parsed dates and numeric quantity and price.

    Raises :class:`RealDataError` naming ``path`` for a truncated or corrupt
    archive, missing columns, non-numeric quantities or prices and
    unparseable dates.
    """
    strings = {"Invoice": "string", "StockCode": "string", "Description": "string", "InvoiceDate": "string"}
    try:
        header = pd.read_csv(path, compression="xz", nrows=0)
        missing = [c for c in COLUMNS if c not in header.columns]
        if missing:
            raise RealDataError(f"{path}: missing columns {missing} (found {list(header.columns)})")
        df = pd.read_csv(
            path, compression="xz", usecols=["Invoice", "StockCode", "Description", "Quantity", "InvoiceDate", "Price"],
            dtype=strings,
        )
    except FileNotFoundError:
        raise RealDataError(f"{path}: file not found (run the fetch_online_retail rule or set its path)") from None
    except (lzma.LZMAError, EOFError) as error:
        raise RealDataError(f"{path}: truncated or corrupt xz archive ({error})") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as error:
        raise RealDataError(f"{path}: not a readable Online Retail CSV ({error})") from None
    if len(df) == 0:
        raise RealDataError(f"{path}: has a header but no invoice lines")
    for column in ("Quantity", "Price"):
        values = pd.to_numeric(df[column], errors="coerce")
        bad = values.isna()
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise RealDataError(
                f"{path}: non-numeric {column} {df[column].iloc[i]!r} on line {i + 2} ({int(bad.sum())} such lines)"
            )
        df[column] = values
    dates = pd.to_datetime(df["InvoiceDate"], format=date_format, errors="coerce")
    bad = dates.isna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise RealDataError(
            f"{path}: unparseable InvoiceDate {df['InvoiceDate'].iloc[i]!r} on line {i + 2} "
            f"(expected format {date_format!r}; {int(bad.sum())} such lines)"
        )
    df["InvoiceDate"] = dates
    for column in ("Invoice", "StockCode"):
        if df[column].isna().any():
            i = int(np.flatnonzero(df[column].isna().to_numpy())[0])
            raise RealDataError(f"{path}: empty {column} on line {i + 2}")
    return df


def filter_lines(df: pd.DataFrame, filters: dict) -> tuple[pd.DataFrame, list[dict]]:
    """Apply the line filters 1-5 of the module docstring; return the kept lines and a log of each step."""
    f = {**DEFAULT_FILTERS, **filters}
    steps = []
    keep = np.ones(len(df), dtype=bool)

    def step(name: str, drop: np.ndarray):
        nonlocal keep
        removed = int((keep & drop).sum())
        keep &= ~drop
        steps.append({"filter": name, "rows_removed": removed, "rows_left": int(keep.sum())})

    invoice = df["Invoice"]
    if f["drop_cancellations"]:
        step("cancellations (Invoice starts with C)", invoice.str.startswith("C").to_numpy(dtype=bool))
    if f["drop_adjustments"]:
        step("adjustments (Invoice starts with A)", invoice.str.startswith("A").to_numpy(dtype=bool))
    if f["drop_nonpositive_quantity"]:
        step("non-positive Quantity", (df["Quantity"] <= 0).to_numpy())
    if f["drop_zero_price"]:
        step("non-positive Price", (df["Price"] <= 0).to_numpy())
    codes = df["StockCode"].str.strip()
    if f["uppercase_codes"]:
        codes = codes.str.upper()
    if f["stock_code_pattern"]:
        step(f"non-product StockCode (not matching {f['stock_code_pattern']})",
             ~codes.str.match(f["stock_code_pattern"]).to_numpy(dtype=bool))
    out = df.loc[keep].copy()
    out["StockCode"] = codes[keep]
    return out, steps


def period_index(dates: pd.Series, origin: np.datetime64, period_days: int) -> np.ndarray:
    days = (dates.to_numpy().astype("datetime64[D]") - origin).astype(np.int64)
    return days // period_days


def span(df: pd.DataFrame, frequency: str) -> tuple[np.datetime64, int]:
    """First day of the first period and the number of periods covering every date in ``df``."""
    first = np.datetime64(df["InvoiceDate"].min().normalize().date(), "D")
    last = np.datetime64(df["InvoiceDate"].max().normalize().date(), "D")
    if frequency == "weekly":  # Monday-Sunday weeks
        first = first - np.timedelta64(int(pd.Timestamp(first).day_of_week), "D")
    n = int((last - first).astype(np.int64)) // FREQUENCIES[frequency] + 1
    return first, n


def aggregate(lines: pd.DataFrame, origin: np.datetime64, n_periods: int, period_days: int):
    """Quantity and quantity-weighted price per product and period: (codes, qty [S, T], price [S, T] NaN if no sale)."""
    s_idx, codes = pd.factorize(lines["StockCode"], sort=True)
    p_idx = period_index(lines["InvoiceDate"], origin, period_days)
    flat = s_idx.astype(np.int64) * n_periods + p_idx
    size = len(codes) * n_periods
    q = lines["Quantity"].to_numpy(dtype=np.float64)
    qty = np.bincount(flat, weights=q, minlength=size).reshape(len(codes), n_periods)
    revenue = np.bincount(flat, weights=q * lines["Price"].to_numpy(dtype=np.float64), minlength=size)
    with np.errstate(invalid="ignore", divide="ignore"):
        price = np.where(qty > 0, revenue.reshape(qty.shape) / qty, np.nan)
    return list(codes), qty, price


def preprocess_online_retail(df: pd.DataFrame, cfg: dict, source: str = "") -> RealDemand:
    """Invoice lines (from :func:`read_online_retail`) -> :class:`RealDemand` ``[product, 1, period]``.

    ``cfg``: ``frequency`` (weekly/daily), ``history``, ``calendar``,
    ``price``, ``filters`` and ``windows`` (see config/real_data.yaml).
    """
    frequency = cfg.get("frequency", "weekly")
    filters = {**DEFAULT_FILTERS, **cfg.get("filters", {})}
    lines, steps = filter_lines(df, filters)
    if len(lines) == 0:
        raise RealDataError(f"{source or 'online retail data'}: no invoice line survives the filters {filters}")
    # Product selection on Monday-Sunday weeks, whatever the frequency.
    w_origin, w_periods = span(df, "weekly")
    codes, weekly, _ = aggregate(lines, w_origin, w_periods, 7)
    selling = (weekly > 0).sum(axis=1)
    chosen = np.flatnonzero(selling >= int(filters["min_selling_weeks"]))
    if len(chosen) == 0:
        raise RealDataError(
            f"{source or 'online retail data'}: no product sells in {filters['min_selling_weeks']} weeks or more"
        )
    chosen_codes = [codes[i] for i in chosen]
    lines = lines[lines["StockCode"].isin(set(chosen_codes))]
    origin, n_periods = span(df, frequency)
    codes, qty, price = aggregate(lines, origin, n_periods, FREQUENCIES[frequency])
    assert codes == chosen_codes
    demand = torch.from_numpy(qty.astype(np.float32))[:, None, :]
    starts = pd.date_range(pd.Timestamp(origin), periods=n_periods, freq=f"{FREQUENCIES[frequency]}D")
    windows = resolve_windows(cfg["windows"], n_periods)
    exogenous = {}
    if cfg.get("price", True):
        exogenous["price_last"] = lagged_last_observed(price[:, None, :], fill=0.0)
    features, names = build_features(
        demand, starts, frequency, int(cfg.get("history", 8)), bool(cfg.get("calendar", True)), exogenous
    )
    descriptions = lines.groupby("StockCode", sort=True)["Description"].first()
    report = {
        "raw_rows": len(df),
        "line_filters": steps,
        "products_after_line_filters": int(weekly.shape[0]),
        "series_filter": {
            "rule": f"sells (positive weekly quantity) in at least {filters['min_selling_weeks']} of {w_periods} weeks",
            "series_removed": int(weekly.shape[0] - len(chosen)),
            "series_left": len(chosen),
        },
        "filters": filters,
        "span": [str(df["InvoiceDate"].min()), str(df["InvoiceDate"].max())],
        "units": "items (summed Quantity of the kept invoice lines)",
        "missing_periods": "none: a period without sales is demand 0",
        "feature_notes": {
            "demand_lag_k": "demand of period t-k (0 before the first period)",
            "calendar": "of period t, known in advance",
            "price_last": "average unit price (GBP) of the last period before t with a sale; lagged because a price is "
            "recorded only with a sale (0 before the first sale)",
        },
        "descriptions": {str(k): (None if pd.isna(v) else str(v).strip()) for k, v in descriptions.items()},
    }
    data = DemandData(
        demand=demand,
        features=features,
        feature_names=names,
        sample_params={"demand_mean": train_mean(demand, windows)},
        meta={"dataset": cfg.get("name", f"online_retail_{frequency}"), "source": "online_retail", "frequency": frequency,
              "file": str(source), "first_period": str(starts[0].date())},
    )
    print(
        f"online retail {frequency}: {len(df)} lines -> {len(lines)} kept lines, {len(codes)} products x {n_periods} periods",
        file=sys.stderr,
    )
    return RealDemand(
        data=data, series=[str(c) for c in codes], locations=["all"], period_starts=[str(d.date()) for d in starts],
        frequency=frequency, windows=windows, report=report,
    )


def load_online_retail(path, cfg: dict) -> RealDemand:
    """Read and preprocess the raw file in one call."""
    return preprocess_online_retail(read_online_retail(path, cfg.get("date_format", DATE_FORMAT)), cfg, source=str(path))
