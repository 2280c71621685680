"""The interval policy for joint ordering and removal: order up to a lower level, remove down to an upper one.

On the inventory position IP (net inventory plus everything on order): below ``order_level`` a,
order up to a; otherwise, above ``removal_level`` b, remove down to b (the system cuts a
removal to the stock on hand). With b >= a nothing happens in between: the classical interval
policy, optimal when orders and removals act on the same period (L = 0; ``exact.procurement_removal``
finds it). With L >= 1 an order lands later than a removal, and the DP's thresholds may cross
(b = a - 1 for the family's setting), so the grid also tries b < a: then IP >= a removes down to b.
Orders and removals are never both positive, as the system requires. Parameters are ``[S or 1, N]``
tensors, so ``train.heuristic_search`` tries one candidate per sample in one rollout.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from invrl.policies.registry import HEURISTICS, Heuristic
from invrl.systems.base import Observation
from invrl.systems.procurement_removal import actions


def _param(value) -> torch.Tensor:
    t = torch.as_tensor(value, dtype=torch.float32)
    return t.reshape(1, 1) if t.dim() == 0 else t


class IntervalPolicy(nn.Module):
    def __init__(self, order_level, removal_level):
        super().__init__()
        self.register_buffer("order_level", _param(order_level))
        self.register_buffer("removal_level", _param(removal_level))

    def forward(self, obs: Observation) -> torch.Tensor:
        position = obs.system.inventory_position(obs.state)
        order = (self.order_level - position).clamp_min(0.0)
        removal = torch.where(position >= self.order_level, (position - self.removal_level).clamp_min(0.0), 0.0)
        return actions(order, removal)


def _grid(system, mean: float, std: float, step: float) -> dict[str, torch.Tensor]:
    """Both levels from 0 to (L + 1) periods of demand plus four standard deviations and a period,
    in the system's own demand units (the search data's mean mixes demand and returns)."""
    lead = int(system.lead_time.max())
    mu = float(system.demand_mean.max())
    top = (lead + 1) * mu + 4 * math.sqrt(mu * (lead + 1)) + mu
    levels = torch.arange(0.0, top + step, step)
    a, b = torch.meshgrid(levels, levels, indexing="ij")
    return {"order_level": a.flatten(), "removal_level": b.flatten()}


HEURISTICS.register("interval", Heuristic(
    "interval", build=lambda p, search: IntervalPolicy(p["order_level"], p["removal_level"]), grid=_grid,
))
