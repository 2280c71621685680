"""From a validated setting and a scale to a System and its demand splits."""

from __future__ import annotations

from dataclasses import dataclass

from invrl.demand.data import DemandData, Splits
from invrl.demand.synthetic import sample_split
from invrl.systems.single_location import SingleLocation


@dataclass(frozen=True)
class Horizon:
    samples: int
    periods: int
    warmup: int


@dataclass(frozen=True)
class Instance:
    setting: dict
    system: SingleLocation
    splits: Splits
    search: DemandData
    """Training-distribution paths, longer than ``train``, for grid searches of heuristics."""
    horizons: dict[str, Horizon]
    """Per split: samples, periods simulated, warm-up periods excluded from the cost."""


def horizons(setting: dict, sizes: dict) -> dict[str, Horizon]:
    """Split sizes of the scale, with the lead time added to periods and warm-up."""
    extra = int(setting["lead_time"])
    return {
        split: Horizon(s["samples"], s["periods"] + s["warmup"] + extra, s["warmup"] + extra)
        for split, s in sizes.items()
        if split in ("train", "dev", "test", "search")
    }


def build_system(setting: dict) -> SingleLocation:
    if setting["system"] != "single_location":
        raise ValueError(f"unknown system {setting['system']!r}")
    return SingleLocation(
        lead_time=setting["lead_time"],
        holding_cost=setting["holding_cost"],
        shortage_cost=setting["shortage_cost"],
        lost_sales=setting.get("lost_sales", True),
        demand_mean=demand_mean(setting["demand"]),
    )


def demand_mean(demand: dict) -> float:
    """The mean of the simulated law (normal is truncated at zero, which raises its mean)."""
    if demand["distribution"] == "normal":
        from invrl.demand.synthetic import truncated_normal_moments

        return truncated_normal_moments(demand["mean"], demand["std"])[0]
    return float(demand["mean"])


def build_instance(setting: dict, sizes: dict, data_seed: int, device="cpu") -> Instance:
    """The system and train/dev/test (and search) demand of one setting at one scale."""
    spans = horizons(setting, sizes)
    law = dict(setting["demand"])
    distribution = law.pop("distribution")
    data = {
        name: sample_split(distribution, name, h.samples, h.periods, data_seed, **law).to(device)
        for name, h in spans.items()
    }
    search = data.pop("search")
    return Instance(
        setting=setting, system=build_system(setting).to(device), splits=Splits(**data), search=search, horizons=spans
    )
