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

from invrl.policies.allocation import feasible_shipments
from invrl.systems.base import Observation
from invrl.systems.network import Network


def downstream_matrix(system: Network) -> torch.Tensor:
    """``M[i, j] = 1`` when node i is j or below it (j reaches i along edges), ``[nodes, nodes]``."""
    n = system.n_nodes
    reach = torch.eye(n)
    step = torch.zeros(n, n)
    internal = system.source >= 0
    step[system.destination[internal], system.source[internal]] = 1.0
    for _ in range(n):
        reach = ((reach + step @ reach) > 0).float()
    return reach


class EchelonStockPolicy(nn.Module):
    parameter_names = ("level",)

    def __init__(self, level, system: Network):
        super().__init__()
        self.register_buffer("level", torch.as_tensor(level, dtype=torch.float32).reshape(1, -1))
        self.register_buffer("echelon", downstream_matrix(system))

    def forward(self, obs: Observation) -> torch.Tensor:
        system, state = obs.system, obs.state
        position = system.inventory_position(state) @ self.echelon.to(state.on_hand.device)
        request = (self.level - position).clamp_min(0.0)[:, system.destination]
        return feasible_shipments(request, system, state)
