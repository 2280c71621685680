"""DemandData: the one container every generator and loader returns.

Demand is a tensor ``[sample, location, period]``. Synthetic data splits by
sample (independent scenarios); real data splits by time window (the same
series, later weeks). Optional ``features`` ``[sample, location, period, feature]``
hold what a policy may observe at a period (history, calendar, price); a
feature at period t must only use information available at the start of t.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import torch


@dataclass(frozen=True)
class DemandData:
    demand: torch.Tensor
    """Demand per sample, location and period, ``[S, N, T]``, non-negative."""
    features: torch.Tensor | None = None
    """Observable features ``[S, N, T, F]``; ``None`` when the policy sees state only."""
    feature_names: tuple[str, ...] = ()
    """One name per feature column, in order."""
    sample_params: dict[str, torch.Tensor] = field(default_factory=dict)
    """Per-sample parameters ``[S, ...]`` that travel with samples (e.g. mean, costs)."""
    meta: dict = field(default_factory=dict)
    """Provenance: distribution, seed, source file, window, ... (JSON-serialisable)."""

    def __post_init__(self):
        if self.demand.dim() != 3:
            raise ValueError(f"demand must be [sample, location, period], got shape {tuple(self.demand.shape)}")
        if self.features is not None and self.features.shape[:3] != self.demand.shape:
            raise ValueError(
                f"features {tuple(self.features.shape)} do not match demand {tuple(self.demand.shape)}"
            )
        if len(self.feature_names) != (0 if self.features is None else self.features.shape[-1]):
            raise ValueError("feature_names must name every feature column")

    @property
    def n_samples(self) -> int:
        return self.demand.shape[0]

    @property
    def n_locations(self) -> int:
        return self.demand.shape[1]

    @property
    def n_periods(self) -> int:
        return self.demand.shape[2]

    def samples(self, index) -> DemandData:
        """The given samples (a slice, index tensor or list), with their parameters."""
        return replace(
            self,
            demand=self.demand[index],
            features=None if self.features is None else self.features[index],
            sample_params={k: v[index] for k, v in self.sample_params.items()},
        )

    def periods(self, start: int, stop: int) -> DemandData:
        """A time window ``[start, stop)`` of every sample (real-data splits)."""
        return replace(
            self,
            demand=self.demand[:, :, start:stop],
            features=None if self.features is None else self.features[:, :, start:stop],
            meta={**self.meta, "window": [start + self.meta.get("window", [0])[0], stop + self.meta.get("window", [0])[0]]},
        )

    def to(self, device) -> DemandData:
        return replace(
            self,
            demand=self.demand.to(device),
            features=None if self.features is None else self.features.to(device),
            sample_params={k: v.to(device) for k, v in self.sample_params.items()},
        )


@dataclass(frozen=True)
class Splits:
    """Train / dev / test demand of one instance."""

    train: DemandData
    dev: DemandData
    test: DemandData

    def __getitem__(self, name: str) -> DemandData:
        return getattr(self, name)
