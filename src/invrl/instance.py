"""From a validated setting and a scale to a System and its demand splits."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from invrl.demand.data import DemandData, Splits
from invrl.demand.synthetic import sample_split
from invrl.systems.base import System
from invrl.systems.single_location import SingleLocation
from invrl.systems.topologies import NETWORK_SYSTEMS, build_network, longest_path_lead_time, store_demand_law


@dataclass(frozen=True)
class Horizon:
    samples: int
    periods: int
    warmup: int


@dataclass(frozen=True)
class Instance:
    setting: dict
    system: System
    splits: Splits
    horizons: dict[str, Horizon]
    """Per split: samples, periods simulated, warm-up periods excluded from the cost."""
    sample_search: Callable[[], DemandData] = field(repr=False)

    @cached_property
    def search(self) -> DemandData:
        """Training-distribution paths, longer than ``train``, for grid searches of heuristics;
        drawn on first use: HDPO runs never need them, and they are about a third of
        the demand a data-efficiency run would otherwise draw."""
        return self.sample_search()


def horizons(setting: dict, sizes: dict, system: System | None = None) -> dict[str, Horizon]:
    """Split sizes of the scale, with the lead time (of the longest supply path in a
    network) added to periods and warm-up."""
    system = build_system(setting) if system is None else system
    extra = longest_path_lead_time(system) if setting["system"] in NETWORK_SYSTEMS else int(setting["lead_time"])
    return {
        split: Horizon(s["samples"], s["periods"] + s["warmup"] + extra, s["warmup"] + extra)
        for split, s in sizes.items()
        if split in ("train", "dev", "test", "search")
    }


def build_system(setting: dict) -> System:
    if setting["system"] in NETWORK_SYSTEMS:
        return build_network(setting)
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


def demand_law(setting: dict) -> dict:
    """Keyword arguments of ``sample_split`` (with ``distribution``) for the setting's demand."""
    return store_demand_law(setting) if setting["system"] in NETWORK_SYSTEMS else dict(setting["demand"])


def build_instance(setting: dict, sizes: dict, data_seed: int, device="cpu") -> Instance:
    """The system and train/dev/test (and search) demand of one setting at one scale."""
    system = build_system(setting)
    spans = horizons(setting, sizes, system)
    law = demand_law(setting)
    distribution = law.pop("distribution")

    def sample(name: str) -> DemandData:
        h = spans[name]
        return sample_split(distribution, name, h.samples, h.periods, data_seed, **law).to(device)

    splits = Splits(**{name: sample(name) for name in ("train", "dev", "test")})
    return Instance(
        setting=setting, system=system.to(device), splits=splits, horizons=spans, sample_search=lambda: sample("search")
    )
