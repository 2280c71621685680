"""A data card per processed real data set: counts, zeros, percentiles, windows, filters, provenance.

``card(real, provenance)`` returns a JSON-serialisable dict;
``card_markdown(card)`` renders it for people. Demand percentiles are over
every series x location x period value; the Syntetos-Boylan classes use the
average inter-demand interval (ADI, cut-off 1.32) and the squared
coefficient of variation of non-zero demand (CV², cut-off 0.49).
"""

from __future__ import annotations

import json

import numpy as np

from invrl.demand.real.features import SPLITS, RealDemand

PERCENTILES = (5, 25, 50, 75, 95, 99)


def intermittency(demand: np.ndarray) -> dict[str, np.ndarray]:
    """Per series-location: share of zero periods, ADI and CV² of the non-zero demand (``[S*N]`` arrays)."""
    d = demand.reshape(-1, demand.shape[-1])
    nonzero = d > 0
    count = nonzero.sum(-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        adi = np.where(count > 0, d.shape[-1] / count, np.inf)
        mean = np.where(count > 0, (d * nonzero).sum(-1) / count, np.nan)
        var = np.where(count > 1, ((d - mean[:, None]) ** 2 * nonzero).sum(-1) / np.maximum(count - 1, 1), np.nan)
        cv2 = var / mean**2
    return {"zero_share": 1.0 - count / d.shape[-1], "adi": adi, "cv2": cv2}


def sbc_classes(adi: np.ndarray, cv2: np.ndarray) -> dict[str, int]:
    """Syntetos-Boylan categories (series with fewer than two sales are left out)."""
    ok = np.isfinite(adi) & np.isfinite(cv2)
    a, c = adi[ok], cv2[ok]
    return {
        "smooth": int(((a < 1.32) & (c < 0.49)).sum()),
        "erratic": int(((a < 1.32) & (c >= 0.49)).sum()),
        "intermittent": int(((a >= 1.32) & (c < 0.49)).sum()),
        "lumpy": int(((a >= 1.32) & (c >= 0.49)).sum()),
    }


def _r(x, digits: int = 4):
    x = float(x)
    return None if not np.isfinite(x) else round(x, digits)


def card(real: RealDemand, provenance: dict | None = None, name: str = "") -> dict:
    d = real.data.demand.numpy().astype(np.float64)
    stats = intermittency(d)
    per_series_mean = d.mean(-1).ravel()
    w = real.window_dates()
    splits = {}
    for split in SPLITS:
        a, b = w[split]["periods"]
        part = d[..., a:b]
        splits[split] = {**w[split], "zero_share": _r((part == 0).mean()), "mean_demand": _r(part.mean(), 3)}
    report = {k: v for k, v in real.report.items() if k not in ("descriptions", "store_demographics")}
    return {
        "dataset": name or real.data.meta.get("dataset", ""),
        "source": real.data.meta.get("source", ""),
        "frequency": real.frequency,
        "layout": "[series, location, period]",
        "counts": {
            "series": real.data.n_samples,
            "locations": real.data.n_locations,
            "periods": real.data.n_periods,
            "series_x_locations": real.data.n_samples * real.data.n_locations,
            "first_period": real.period_starts[0],
            "last_period": real.period_starts[-1],
        },
        "zeros": {
            "share_of_zero_periods": _r((d == 0).mean()),
            "median_zero_share_per_series": _r(np.median(stats["zero_share"])),
            "series_with_half_or_more_zeros": int((stats["zero_share"] >= 0.5).sum()),
            "syntetos_boylan": sbc_classes(stats["adi"], stats["cv2"]),
        },
        "demand": {
            "mean": _r(d.mean(), 3),
            "max": _r(d.max(), 3),
            "percentiles": {f"p{q}": _r(np.percentile(d, q), 3) for q in PERCENTILES},
            "series_mean_percentiles": {f"p{q}": _r(np.percentile(per_series_mean, q), 3) for q in PERCENTILES},
            "units": real.report.get("units", ""),
        },
        "windows": splits,
        "features": list(real.data.feature_names),
        "feature_notes": real.report.get("feature_notes", {}),
        "preprocessing": report,
        "provenance": provenance or {},
    }


def _table(header, rows) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return out


def card_markdown(c: dict) -> str:
    n, z, dm, p = c["counts"], c["zeros"], c["demand"], c["provenance"]
    lines = [
        f"# Data card: {c['dataset']}",
        "",
        f"{p.get('title') or c['source']}, {c['frequency']} demand as `{c['layout']}`.",
        "",
        "## Counts",
        "",
        *_table(["series", "locations", "periods", "series x locations", "first period", "last period"],
                [[n["series"], n["locations"], n["periods"], n["series_x_locations"], n["first_period"], n["last_period"]]]),
        "",
        "## Zeros and intermittency",
        "",
        f"- share of zero periods: {z['share_of_zero_periods']:.3f} "
        f"(median per series {z['median_zero_share_per_series']:.3f}; "
        f"{z['series_with_half_or_more_zeros']} series with half or more zeros)",
        "- Syntetos-Boylan classes: " + ", ".join(f"{k} {v}" for k, v in z["syntetos_boylan"].items()),
        "",
        "## Demand",
        "",
        f"Units: {dm['units']}. Mean {dm['mean']}, max {dm['max']}.",
        "",
        *_table(["", *dm["percentiles"]], [["all periods", *dm["percentiles"].values()],
                                           ["series means", *dm["series_mean_percentiles"].values()]]),
        "",
        "## Windows (cost periods; warm-up periods are simulated first and not counted)",
        "",
        *_table(["split", "periods", "warm-up from", "cost from", "to", "cost periods", "zero share", "mean demand"],
                [[s, f"[{v['periods'][0]}, {v['periods'][1]})", v["warmup_from"], v["from"], v["to"], v["cost_periods"],
                  v["zero_share"], v["mean_demand"]] for s, v in c["windows"].items()]),
        "",
        "## Preprocessing",
        "",
    ]
    pre = c["preprocessing"]
    if "line_filters" in pre:
        lines += [f"Raw invoice lines: {pre['raw_rows']:,}.", ""]
        lines += _table(["filter (in order)", "rows removed", "rows left"],
                        [[s["filter"].replace("|", "\\|"), f"{s['rows_removed']:,}", f"{s['rows_left']:,}"]
                         for s in pre["line_filters"]])
        sf = pre["series_filter"]
        lines += ["", f"Products after the line filters: {pre['products_after_line_filters']:,}. Series filter: "
                  f"{sf['rule']}: {sf['series_removed']:,} removed, {sf['series_left']:,} left."]
    if "store_filter" in pre:
        sf = pre["store_filter"]
        dropped = ", ".join(f"store {s['store']} ({s['missing_weeks']} weeks missing)" for s in sf["stores_dropped"]) or "none"
        lines += [
            f"Raw rows (store x brand x week): {pre['raw_rows']:,}; {pre['stores_in_file']} stores, {pre['brands']} brands, "
            f"weeks {pre['weeks'][0]}-{pre['weeks'][1]}; {pre['store_weeks_missing']} of {pre['store_weeks_total']} "
            "store-weeks missing.",
            "",
            f"Store filter: {sf['rule']}: dropped {dropped}; {sf['stores_left']} stores left. "
            f"Imputed cells (missing store-weeks of kept stores, impute={pre['filters']['impute']}): "
            f"{pre['imputed_cells']} ({pre['imputed_share']:.2%}).",
        ]
    lines += ["", "Settings: `" + json.dumps(pre.get("filters", {})) + "`", ""]
    lines += ["## Features (what a policy may observe at the start of period t)", "",
              ", ".join(f"`{f}`" for f in c["features"]) or "none", ""]
    lines += [f"- `{k}`: {v}" for k, v in c["feature_notes"].items()]
    lines += [
        "",
        "## Provenance and licence",
        "",
        f"- file: `{p.get('file')}`, sha256 `{p.get('sha256')}` (verified: {p.get('sha256_verified')}), "
        f"{p.get('size_bytes', 0):,} bytes",
        f"- obtained by: {p.get('obtained_by')} (version {p.get('version')}; container {p.get('container')})",
        f"- original: {p.get('original')}",
        f"- licence: {p.get('licence')}",
        f"- citation: {p.get('citation')}",
    ]
    if p.get("acknowledgement"):
        lines.append(f"- acknowledgement (required): {p['acknowledgement']}")
    lines.append(f"- retrieved: {p.get('retrieved_at')}")
    return "\n".join(lines) + "\n"
