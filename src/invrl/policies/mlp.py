"""The vanilla neural policy: an MLP on the (scaled) state of one location.

Inputs are on-hand stock and the pipeline divided by the mean demand, plus
any exogenous features of the period; the output is a non-negative order in
units of mean demand. Scaling by mean demand lets one network serve samples
of different demand levels and keeps the initial orders near a sensible size.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from invrl.systems.base import Observation


@dataclass(frozen=True)
class MLPConfig:
    hidden: tuple[int, ...] = (64, 64)
    """Widths of the hidden layers."""
    activation: str = "elu"
    """Hidden activation: elu, relu or tanh."""
    use_features: bool = True
    """Feed exogenous features of the period (history, calendar) when the data has them."""


ACTIVATIONS = {"elu": nn.ELU, "relu": nn.ReLU, "tanh": nn.Tanh}


class MLPPolicy(nn.Module):
    def __init__(self, n_inputs: int, config: MLPConfig = MLPConfig()):
        super().__init__()
        layers, width = [], n_inputs
        for h in config.hidden:
            layers += [nn.Linear(width, h), ACTIVATIONS[config.activation]()]
            width = h
        layers.append(nn.Linear(width, 1))
        self.net = nn.Sequential(*layers)
        self.config = config

    @staticmethod
    def n_inputs(max_lead_time: int, n_features: int = 0) -> int:
        return 1 + max_lead_time + n_features

    def forward(self, obs: Observation) -> torch.Tensor:
        state, scale = obs.state, obs.system.demand_mean
        x = torch.cat([state.on_hand[..., None], state.pipeline], dim=-1) / scale[..., None]
        if self.config.use_features and obs.features is not None:
            x = torch.cat([x, obs.features], dim=-1)
        return nn.functional.softplus(self.net(x).squeeze(-1)) * scale
