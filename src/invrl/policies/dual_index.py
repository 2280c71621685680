"""Classical dual-sourcing heuristics: single index, dual index, capped dual index, tailored base-surge.

Each reads the two inventory positions of a :class:`~invrl.systems.dual_sourcing.DualSourcing`
system: the regular one (net inventory plus everything on order) and the
expedited one (net inventory plus what arrives within the expedited lead
time). The expedited order is decided first and counts in the regular
position the regular order sees, as in Veeraraghavan and Scheller-Wolf
(2008). Parameters are ``[S or 1, N]`` tensors, so ``train.heuristic_search``
tries one candidate per sample in one rollout.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from invrl.policies.registry import HEURISTICS, Heuristic
from invrl.systems.base import Observation
from invrl.systems.dual_sourcing import orders


def _param(value) -> torch.Tensor:
    t = torch.as_tensor(value, dtype=torch.float32)
    return t.reshape(1, 1) if t.dim() == 0 else t


class _Levels(nn.Module):
    parameter_names: tuple[str, ...] = ()

    def __init__(self, **values):
        super().__init__()
        for name in self.parameter_names:
            self.register_buffer(name, _param(values[name]))


class SingleIndexPolicy(_Levels):
    """Both orders from one index, the regular inventory position IP (Scheller-Wolf, Veeraraghavan
    and van Houtum 2007): expedite up to ``expedite_level``, then order regular up to ``regular_level``."""

    parameter_names = ("expedite_level", "regular_level")

    def forward(self, obs: Observation) -> torch.Tensor:
        position = obs.system.inventory_position(obs.state)
        expedited = (self.expedite_level - position).clamp_min(0.0)
        regular = (self.regular_level - position - expedited).clamp_min(0.0)
        return orders(regular, expedited)


class DualIndexPolicy(_Levels):
    """Expedite up to ``expedite_level`` on the expedited position, then order regular up to
    ``regular_level`` on the regular position (Veeraraghavan and Scheller-Wolf 2008)."""

    parameter_names = ("expedite_level", "regular_level")

    def forward(self, obs: Observation) -> torch.Tensor:
        system, state = obs.system, obs.state
        expedited = (self.expedite_level - system.expedited_position(state)).clamp_min(0.0)
        regular = (self.regular_level - system.inventory_position(state) - expedited).clamp_min(0.0)
        return orders(regular, expedited)


class CappedDualIndexPolicy(_Levels):
    """Dual index with the regular order capped at ``cap`` (Sun and Van Mieghem 2019): the cap
    smooths the regular stream and leaves the peaks to the expedited supplier."""

    parameter_names = ("expedite_level", "regular_level", "cap")

    def forward(self, obs: Observation) -> torch.Tensor:
        system, state = obs.system, obs.state
        expedited = (self.expedite_level - system.expedited_position(state)).clamp_min(0.0)
        gap = (self.regular_level - system.inventory_position(state) - expedited).clamp_min(0.0)
        return orders(torch.minimum(gap, self.cap), expedited)


class TailoredBaseSurgePolicy(_Levels):
    """A constant regular ``quantity`` every period (base), expedite up to ``expedite_level`` on the
    expedited position (surge) (Allon and Van Mieghem 2010)."""

    parameter_names = ("quantity", "expedite_level")

    def forward(self, obs: Observation) -> torch.Tensor:
        system, state = obs.system, obs.state
        expedited = (self.expedite_level - system.expedited_position(state)).clamp_min(0.0)
        return orders(self.quantity.expand_as(expedited), expedited)


# --- registry entries: builder and search grid of each heuristic (``train.heuristic_search`` fits them)


def _levels(lead: int, mean: float, std: float, step: float) -> torch.Tensor:
    """Order-up-to levels from 0 to (lead + 1) periods of demand plus five standard deviations and a period."""
    return torch.arange(0.0, (lead + 1) * mean + 5 * std * math.sqrt(lead + 1) + mean + step, step)


def _expedite_levels(system, mean, std, step):
    return _levels(int(system.expedited_lead_time.max()), mean, std, step)


def _regular_levels(system, mean, std, step):
    return _levels(int(system.lead_time.max()), mean, std, step)


def _mesh(**axes: torch.Tensor) -> dict[str, torch.Tensor]:
    mesh = torch.meshgrid(*axes.values(), indexing="ij")
    return {name: m.flatten() for name, m in zip(axes, mesh)}


def _single_index_grid(system, mean, std, step):
    levels = _regular_levels(system, mean, std, step)
    return _mesh(expedite_level=levels, regular_level=levels)


def _dual_index_grid(system, mean, std, step):
    return _mesh(expedite_level=_expedite_levels(system, mean, std, step), regular_level=_regular_levels(system, mean, std, step))


def _capped_dual_index_grid(system, mean, std, step):
    caps = torch.arange(step, 3 * mean + 3 * std + step, step)
    return _mesh(expedite_level=_expedite_levels(system, mean, std, step),
                 regular_level=_regular_levels(system, mean, std, step), cap=caps)


def _base_surge_grid(system, mean, std, step):
    return _mesh(quantity=torch.arange(0.0, 1.5 * mean + step, step), expedite_level=_expedite_levels(system, mean, std, step))


HEURISTICS.register("single_index", Heuristic(
    "single_index", build=lambda p, search: SingleIndexPolicy(**p), grid=_single_index_grid,
))
HEURISTICS.register("dual_index", Heuristic(
    "dual_index", build=lambda p, search: DualIndexPolicy(**p), grid=_dual_index_grid,
))
HEURISTICS.register("capped_dual_index", Heuristic(
    "capped_dual_index", build=lambda p, search: CappedDualIndexPolicy(**p), grid=_capped_dual_index_grid,
))
HEURISTICS.register("tailored_base_surge", Heuristic(
    "tailored_base_surge", build=lambda p, search: TailoredBaseSurgePolicy(**p), grid=_base_surge_grid,
))
