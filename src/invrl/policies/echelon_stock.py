"""Echelon base-stock: the optimal policy of a serial system (Clark & Scarf 1960).

Node j orders up to ``level[j]`` its echelon inventory position: the stock at
j and every node below it, plus everything in transit into them, net of
backorders. Orders are limited by what the upstream node has
(``feasible_shipments``); with the Clark-Scarf levels
(``invrl.exact.clark_scarf``) this is optimal for the serial system.
"""

from __future__ import annotations

import torch
from torch import nn

from invrl.errors import ConfigError
from invrl.policies.allocation import feasible_shipments
from invrl.policies.registry import HEURISTICS, Heuristic
from invrl.systems.base import Observation


class EchelonStockPolicy(nn.Module):
    parameter_names = ("level",)

    def __init__(self, level):
        super().__init__()
        self.register_buffer("level", torch.as_tensor(level, dtype=torch.float32).reshape(1, -1))

    def forward(self, obs: Observation) -> torch.Tensor:
        system, state = obs.system, obs.state
        position = system.echelon_position(state)
        request = (self.level - position).clamp_min(0.0)[:, system.destination]
        return feasible_shipments(request, system, state)


def clark_scarf_levels(setting: dict, system) -> dict[str, list]:
    """The exact echelon levels of a serial line with Poisson demand and backlog (computed, not searched)."""
    from invrl.exact.network import serial_optimum

    optimum = serial_optimum(setting)  # the family registry applies echelon_stock to serial lines only
    if optimum is None:
        raise ConfigError("echelon_stock needs a serial line with Poisson demand and backlog at the store")
    return {"level": optimum["echelon_levels"]}


HEURISTICS.register("echelon_stock", Heuristic(
    "echelon_stock", build=lambda p, search: EchelonStockPolicy(p["level"]), compute=clark_scarf_levels,
))
