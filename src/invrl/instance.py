"""From a validated setting and a scale to a System and its demand splits.

Synthetic demand splits by sample (independent scenarios drawn from the
family's demand law); real demand (``demand: {source: DATASET}``) splits by
time window: the same series, later weeks, with their features. Either way
the result is one :class:`Instance`, so training, heuristics and evaluation
never ask where the demand came from.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import torch

from invrl.demand.data import DemandData, Splits
from invrl.demand.synthetic import sample_split
from invrl.errors import ConfigError
from invrl.families import family_of
from invrl.systems.base import System
from invrl.train.method import Problem

PROCESSED_DIR = Path("results/data/processed")


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

    @property
    def round_actions(self) -> bool:
        return bool(self.setting["round_actions"])

    def problem(self, optimum: float | None = None) -> Problem:
        """The instance as a training method sees it."""
        h = self.horizons
        return Problem(
            system=self.system, setting=self.setting, train=self.splits.train, dev=self.splits.dev,
            train_warmup=h["train"].warmup, dev_warmup=h["dev"].warmup, round_actions=self.round_actions,
            search=lambda: (self.search, h["search"].warmup), optimum=optimum,
        )


def horizons(setting: dict, sizes: dict, system: System | None = None) -> dict[str, Horizon]:
    """Split sizes of the scale, with the lead time (of the longest supply path in a
    network) added to periods and warm-up."""
    family = family_of(setting)
    system = family.build(setting, None) if system is None else system
    extra = int(family.horizon_extension(system))
    return {
        split: Horizon(s["samples"], s["periods"] + s["warmup"] + extra, s["warmup"] + extra)
        for split, s in sizes.items()
        if split in ("train", "dev", "test", "search")
    }


def demand_law(setting: dict) -> dict:
    """Keyword arguments of ``sample_split`` (with ``distribution``) for the setting's demand."""
    return family_of(setting).demand_law(setting)


def build_instance(setting: dict, sizes: dict, data_seed: int, device="cpu") -> Instance:
    """The system and train/dev/test (and search) demand of one setting at one scale."""
    if "source" in setting["demand"]:
        return real_instance(setting, sizes, device)
    family = family_of(setting)
    system = family.build(setting, None)
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


def real_instance(setting: dict, sizes: dict, device="cpu") -> Instance:
    """The time windows of a processed real data set: every split holds the same series (at most
    ``sizes.train.samples`` of them, the largest by train-window demand), its window preceded by
    the data set's warm-up periods; the system is scaled per series by its train-window mean."""
    from invrl.demand.real import load_real_demand

    demand = setting["demand"]
    path = Path(demand.get("path") or PROCESSED_DIR / f"{demand['source']}.pt")
    if not path.exists():
        raise ConfigError(f"setting demand.source={demand['source']!r}: processed file {path} does not exist; "
                          f"build it with `snakemake --cores 1 {path}`")
    real = select_series(load_real_demand(path), int(sizes["train"]["samples"]))
    splits = real.splits()
    warmup = int(real.windows["warmup"])
    spans = {name: Horizon(splits[name].n_samples, splits[name].n_periods, warmup) for name in ("train", "dev", "test")}
    spans["search"] = spans["train"]
    family = family_of(setting)
    system = family.build(setting, splits.train).to(device)
    lead = int(family.horizon_extension(system))
    if warmup < lead:
        raise ConfigError(f"setting demand.source={demand['source']!r}: the data set's warm-up of {warmup} periods "
                          f"(windows.warmup in config/real_data.yaml) is shorter than the lead time {lead}: orders "
                          f"placed in it could not arrive before costs are counted")
    moved = Splits(**{name: splits[name].to(device) for name in ("train", "dev", "test")})
    return Instance(setting=setting, system=system, splits=moved, horizons=spans, sample_search=lambda: moved.train)


def select_series(real, max_series: int | None):
    """The ``max_series`` series with the largest train-window demand (all when ``None``), in their order."""
    if max_series is None or max_series >= real.data.n_samples:
        return real
    volume = real.data.sample_params["demand_mean"].sum(-1)
    return real.subset(torch.sort(torch.topk(volume, int(max_series)).indices).values)
