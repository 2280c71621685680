"""The vanilla network policy: one MLP on the flattened state of the whole network.

Every node's and edge's features go in, one request per edge comes out
(softplus, in units of the edge's mean flow), and ``feasible_shipments``
makes it feasible. It knows nothing of the network's symmetries, which is
what the data-efficiency study measures against.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from invrl.policies.allocation import feasible_shipments
from invrl.policies.network_features import NODE_FEATURES, edge_feature_count, edge_features, node_features
from invrl.systems.base import Observation
from invrl.systems.network import Network

ACTIVATIONS = {"elu": nn.ELU, "relu": nn.ReLU, "tanh": nn.Tanh, "silu": nn.SiLU}


def mlp(width_in: int, hidden: tuple[int, ...], width_out: int, activation: str) -> nn.Sequential:
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; expected one of {sorted(ACTIVATIONS)}")
    layers, width = [], width_in
    for h in hidden:
        layers += [nn.Linear(width, h), ACTIVATIONS[activation]()]
        width = h
    layers.append(nn.Linear(width, width_out))
    return nn.Sequential(*layers)


def init_output(layer: nn.Linear, scale: float = 0.1, initial: float = 1.0) -> None:
    """Small output weights and a bias whose softplus is ``initial``: start near one period of mean flow."""
    with torch.no_grad():
        layer.weight.mul_(scale)
        layer.bias.fill_(math.log(math.expm1(initial)))


@dataclass(frozen=True)
class NetworkMLPConfig:
    hidden: tuple[int, ...] = (64, 64)
    """Widths of the hidden layers."""
    activation: str = "elu"
    """Hidden activation: elu, relu, tanh or silu."""


class NetworkMLPPolicy(nn.Module):
    def __init__(self, system: Network, config: NetworkMLPConfig = NetworkMLPConfig()):
        super().__init__()
        width = system.n_nodes * NODE_FEATURES + system.n_edges * edge_feature_count(system.max_lead_time)
        self.net = mlp(width, tuple(config.hidden), system.n_edges, config.activation)
        init_output(self.net[-1])

    def forward(self, obs: Observation) -> torch.Tensor:
        x = torch.cat([node_features(obs).flatten(1), edge_features(obs).flatten(1)], dim=-1)
        request = nn.functional.softplus(self.net(x)) * obs.system.edge_rate
        return feasible_shipments(request, obs.system, obs.state)
