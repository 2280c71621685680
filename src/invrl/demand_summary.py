"""A data card of the synthetic demand an experiment trains and tests on.

Synthetic demand is a pure function of (setting, split, sizes, seed), so the
training jobs regenerate it in-process rather than read gigabytes from disk;
this summary records what they draw, per instance and split.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from pathlib import Path

from invrl.config import overrides_of
from invrl.demand.synthetic import sample_split
from invrl.instance import demand_law, horizons
from invrl.settings import load_setting

STATISTICS = ("mean", "std", "zero_share", "q05", "q50", "q95", "max")


def summarise(demand: np.ndarray) -> dict[str, float]:
    q05, q50, q95 = np.quantile(demand, [0.05, 0.5, 0.95])
    return {"mean": demand.mean(), "std": demand.std(), "zero_share": (demand == 0).mean(),
            "q05": q05, "q50": q50, "q95": q95, "max": demand.max()}


def summarise_experiment(setting_name: str | Path, instances: dict[str, dict], sizes: dict, data_seed: int) -> xr.Dataset:
    splits = ["train", "dev", "test", "search"]
    values = {name: np.full((len(instances), len(splits)), np.nan) for name in (*STATISTICS, "samples", "periods")}
    for i, flat in enumerate(instances.values()):
        setting = load_setting(setting_name, overrides_of(flat))
        law = demand_law(setting)
        distribution = law.pop("distribution")
        for j, (split, span) in enumerate(horizons(setting, sizes).items()):
            demand = sample_split(distribution, split, span.samples, span.periods, data_seed, **law).demand.numpy()
            for key, value in summarise(demand).items():
                values[key][i, j] = value
            values["samples"][i, j], values["periods"][i, j] = span.samples, span.periods
    return xr.Dataset(
        {k: (("instance", "split"), v) for k, v in values.items()},
        coords={"instance": list(instances), "split": splits},
        attrs={"setting": Path(str(setting_name)).stem, "data_seed": data_seed},
    )
