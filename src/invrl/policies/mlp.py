"""The vanilla neural policy: an MLP on the (scaled) state of one location.

Inputs are on-hand stock and the pipeline divided by the mean demand, plus
any exogenous features of the period; the output is a non-negative order in
units of mean demand. Scaling by mean demand lets one network serve samples
of different demand levels and keeps the initial orders near a sensible size.

Optionally the inventory position (on hand plus pipeline, a fixed affine
function of the same state) is appended as one more input, in periods of
mean demand and centred on the default initial state's position, so that it
stays near 0 for any lead time while a unit of stock moves it as much as
any other input. The output
layer starts with small weights and a bias that makes the first orders
about one period of mean demand, so training starts near a stationary,
sensible policy instead of at a random order size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from invrl.policies.registry import register_architecture
from invrl.systems.base import Observation
from invrl.systems.single_location import SingleLocation


@dataclass(frozen=True)
class MLPConfig:
    hidden: tuple[int, ...] = (32, 32)
    """Widths of the hidden layers."""
    activation: str = "elu"
    """Hidden activation: elu, relu, tanh or silu."""
    use_features: bool = True
    """Feed exogenous features of the period (history, calendar) when the data has them."""
    inventory_position: str = "centred"
    """Append the inventory position (on hand + pipeline) as an extra input, an affine
    function of the state (so the policy is still an MLP of the state): "centred" feeds
    IP / mean - (max lead time + 1), in periods of mean demand around the initial state's
    position; "scaled" feeds IP / ((max lead time + 1) mean); "none" omits it."""
    output_init_scale: float = 0.1
    """Multiply the default init of the output layer's weights by this (0: zero weights)."""
    initial_order: float = 1.0
    """Output bias set so that orders start near this many periods of mean demand (0: default init)."""


ACTIVATIONS = {"elu": nn.ELU, "relu": nn.ReLU, "tanh": nn.Tanh, "silu": nn.SiLU}


class MLPPolicy(nn.Module):
    """``n_outputs`` non-negative orders per location (one for a single supplier); a family whose
    state has more parts than on hand and one pipeline overrides :meth:`state_inputs`."""

    def __init__(self, n_inputs: int, config: MLPConfig = MLPConfig(), n_outputs: int = 1):
        super().__init__()
        if config.activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {config.activation!r}; expected one of {sorted(ACTIVATIONS)}")
        if config.inventory_position not in ("centred", "scaled", "none"):
            raise ValueError(f"inventory_position must be centred, scaled or none, got {config.inventory_position!r}")
        layers, width = [], n_inputs + int(config.inventory_position != "none")
        for h in config.hidden:
            layers += [nn.Linear(width, h), ACTIVATIONS[config.activation]()]
            width = h
        out = nn.Linear(width, n_outputs)
        with torch.no_grad():
            out.weight.mul_(config.output_init_scale)
            if config.initial_order > 0:
                # softplus(b) = initial_order (shared by the outputs)  <=>  b = log(exp(initial_order) - 1)
                out.bias.fill_(math.log(math.expm1(config.initial_order / n_outputs)))
        layers.append(out)
        self.net = nn.Sequential(*layers)
        self.config = config

    @staticmethod
    def n_inputs(max_lead_time: int, n_features: int = 0) -> int:
        """State inputs (on hand and one per pipeline slot) plus features; the optional
        inventory-position input is added by the constructor, not counted here."""
        return 1 + max_lead_time + n_features

    def state_inputs(self, obs: Observation) -> torch.Tensor:
        """The state as ``[B, N, inputs]`` in units of mean demand."""
        state = obs.state
        return torch.cat([state.on_hand[..., None], state.pipeline], dim=-1) / obs.system.demand_mean[..., None]

    def forward(self, obs: Observation) -> torch.Tensor:
        scale = obs.system.demand_mean
        x = self.state_inputs(obs)
        if self.config.inventory_position == "centred":
            x = torch.cat([x, x.sum(-1, keepdim=True) - x.shape[-1]], dim=-1)
        elif self.config.inventory_position == "scaled":
            x = torch.cat([x, x.sum(-1, keepdim=True) / x.shape[-1]], dim=-1)
        if self.config.use_features and obs.features is not None:
            x = torch.cat([x, obs.features], dim=-1)
        orders = nn.functional.softplus(self.net(x)) * scale[..., None]
        return orders.squeeze(-1) if orders.shape[-1] == 1 else orders


register_architecture(
    "mlp", SingleLocation, MLPConfig,
    lambda system, config, n_features: MLPPolicy(MLPPolicy.n_inputs(system.max_lead_time, n_features if config.use_features else 0), config),
)
