"""Perishable-inventory heuristics: base-stock on the inventory position, base-stock on the units
still sellable when the order arrives, and a constant order.

Plain base-stock counts units that will be sold or expire before the new order lands;
the sellable variant projects the stock L periods ahead with mean demand (issued as the
system issues it, expiring units dropped) and orders up to a level on what is left, in
the spirit of Haijema and Minner's base-stock with estimated waste. Parameters
are ``[S or 1, N]`` tensors, so ``train.heuristic_search`` tries one candidate per sample.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from invrl.policies.registry import HEURISTICS, Heuristic
from invrl.systems.base import Observation


def _param(value) -> torch.Tensor:
    t = torch.as_tensor(value, dtype=torch.float32)
    return t.reshape(1, 1) if t.dim() == 0 else t


class PerishableBaseStockPolicy(nn.Module):
    """Order up to ``level`` on the inventory position (every age, everything on order)."""

    def __init__(self, level):
        super().__init__()
        self.register_buffer("level", _param(level))

    def forward(self, obs: Observation) -> torch.Tensor:
        return (self.level - obs.system.inventory_position(obs.state)).clamp_min(0.0)


class SellableBaseStockPolicy(PerishableBaseStockPolicy):
    """Order up to ``level`` on the projected units still in date when the order arrives."""

    def forward(self, obs: Observation) -> torch.Tensor:
        return (self.level - obs.system.sellable_position(obs.state)).clamp_min(0.0)


class PerishableConstantOrderPolicy(nn.Module):
    """The same ``quantity`` every period, whatever the stock."""

    def __init__(self, quantity):
        super().__init__()
        self.register_buffer("quantity", _param(quantity))

    def forward(self, obs: Observation) -> torch.Tensor:
        return self.quantity.expand_as(obs.state.stock[..., 0])


def _levels(system, mean: float, std: float, step: float) -> torch.Tensor:
    """Levels from 0 to (L + 1) periods of demand plus four standard deviations and a period."""
    lead = int(system.lead_time.max())
    return torch.arange(0.0, (lead + 1) * mean + 4 * std * math.sqrt(lead + 1) + mean + step, step)


HEURISTICS.register("perishable_base_stock", Heuristic(
    "perishable_base_stock", build=lambda p, search: PerishableBaseStockPolicy(p["level"]),
    grid=lambda system, mean, std, step: {"level": _levels(system, mean, std, step)},
))
HEURISTICS.register("sellable_base_stock", Heuristic(
    "sellable_base_stock", build=lambda p, search: SellableBaseStockPolicy(p["level"]),
    grid=lambda system, mean, std, step: {"level": _levels(system, mean, std, step)},
))
HEURISTICS.register("perishable_constant_order", Heuristic(
    "perishable_constant_order", build=lambda p, search: PerishableConstantOrderPolicy(p["quantity"]),
    grid=lambda system, mean, std, step: {"quantity": torch.arange(0.0, 1.5 * mean + step, step)},
))
