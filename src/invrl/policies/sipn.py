"""Structure-informed policy networks (SIPN; Maggiar et al. 2025, arXiv 2507.22040).

The network does not output the order: it outputs the parameters of the policy structure
that theory gives the optimum (a capped base-stock level and cap, the capped dual index's
two levels and cap, a perishable base-stock level, the interval policy's two levels), and
the action is that heuristic's formula evaluated at them. The structure therefore holds
for any weights; training (HDPO through the simulator) only moves the parameters.

The MLP reads a context: a constant input and, by default, only the exogenous features of
the period (demand history, calendar), so without features the parameters are constants
and HDPO finds the heuristic's parameters by gradient; with ``state_context`` it also
reads the scaled state, as the family's vanilla MLP does (``state_inputs``), so the
parameters may adapt to the state (the perishable age profile, say). Parameters come out
of a softplus in units of mean demand (``system.demand_mean``), the output layer starting
with small weights and a bias that puts each parameter near a sensible value: levels at
(lead time + ``level_init``) periods of mean demand, caps at ``cap_init``.

Each formula is written exactly as the heuristic it mirrors (``policies.heuristics``,
``policies.dual_index``, ``policies.perishable_base_stock``, ``policies.interval_policy``),
so a SIPN with constant outputs acts exactly as that heuristic with those parameters.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from invrl.policies.dual_sourcing_mlp import DualSourcingMLP
from invrl.policies.mlp import ACTIVATIONS, MLPPolicy
from invrl.policies.perishable_mlp import PerishableMLP
from invrl.policies.registry import register_architecture
from invrl.systems.base import Observation
from invrl.systems.dual_sourcing import DualSourcing, orders
from invrl.systems.perishable import Perishable
from invrl.systems.procurement_removal import ProcurementRemoval, actions
from invrl.systems.single_location import SingleLocation


@dataclass(frozen=True)
class SIPNConfig:
    hidden: tuple[int, ...] = (32, 32)
    """Widths of the hidden layers of the parameter network."""
    activation: str = "elu"
    """Hidden activation: elu, relu, tanh or silu."""
    use_features: bool = True
    """Feed exogenous features of the period (history, calendar) when the data has them."""
    state_context: bool = False
    """Also feed the state scaled by mean demand (the family MLP's ``state_inputs``); off: the
    parameters depend on the features only (constants without features)."""
    output_init_scale: float = 0.1
    """Multiply the default init of the output layer's weights by this (0: zero weights)."""
    level_init: float = 1.0
    """Order-up-to levels start at (lead time + this) periods of mean demand (the expedite level
    at the expedited lead time, the regular one at the regular lead time)."""
    cap_init: float = 2.0
    """Order caps start at this many periods of mean demand."""
    removal_margin_init: float = 2.0
    """Interval policy: the removal level starts this many periods of mean demand above the order level."""
    position: str = "sellable"
    """Perishable: order up to the level on the sellable position ("sellable", as
    ``sellable_base_stock``) or on the inventory position ("inventory", as ``perishable_base_stock``)."""


def _inverse_softplus(y: float) -> float:
    return math.log(math.expm1(y))


class SIPN(nn.Module):
    """Base class: an MLP from the context to the named parameters (``[B, N]`` each, in units),
    and :meth:`act`, the heuristic's formula at those parameters."""

    parameter_names: tuple[str, ...] = ()

    def __init__(self, n_state_inputs: int, n_features: int, config: SIPNConfig, initial: dict[str, float]):
        super().__init__()
        if config.activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {config.activation!r}; expected one of {sorted(ACTIVATIONS)}")
        if config.position not in ("sellable", "inventory"):
            raise ValueError(f"position must be sellable or inventory, got {config.position!r}")
        width = 1 + (n_features if config.use_features else 0) + (n_state_inputs if config.state_context else 0)
        layers = []
        for h in config.hidden:
            layers += [nn.Linear(width, h), ACTIVATIONS[config.activation]()]
            width = h
        out = nn.Linear(width, len(self.parameter_names))
        with torch.no_grad():
            out.weight.mul_(config.output_init_scale)
            out.bias.copy_(torch.tensor([_inverse_softplus(max(initial[n], 1e-3)) for n in self.parameter_names]))
        layers.append(out)
        self.net = nn.Sequential(*layers)
        self.config = config

    def state_inputs(self, obs: Observation) -> torch.Tensor:
        return MLPPolicy.state_inputs(self, obs)

    def context(self, obs: Observation) -> torch.Tensor:
        """``[B, N, inputs]``: a constant 1, the features (if used), the scaled state (if ``state_context``)."""
        on_hand = self.position_of(obs)
        parts = [torch.ones_like(on_hand)[..., None]]
        if self.config.use_features and obs.features is not None:
            parts.append(obs.features.to(on_hand.dtype))
        if self.config.state_context:
            parts.append(self.state_inputs(obs))
        return torch.cat(parts, dim=-1)

    def levels(self, obs: Observation) -> dict[str, torch.Tensor]:
        """The policy's parameters for this observation, ``[B, N]`` each, in units of demand."""
        raw = nn.functional.softplus(self.net(self.context(obs))) * obs.system.demand_mean[..., None]
        return {name: raw[..., k] for k, name in enumerate(self.parameter_names)}

    def position_of(self, obs: Observation) -> torch.Tensor:
        return obs.system.inventory_position(obs.state)

    def act(self, obs: Observation, p: dict[str, torch.Tensor]):
        raise NotImplementedError

    def forward(self, obs: Observation):
        return self.act(obs, self.levels(obs))


class CappedBaseStockSIPN(SIPN):
    """Single location: ``min(cap, (level - IP)^+)``, as ``CappedBaseStockPolicy``."""

    parameter_names = ("level", "cap")

    def act(self, obs, p):
        gap = (p["level"] - obs.system.inventory_position(obs.state)).clamp_min(0.0)
        return torch.minimum(gap, p["cap"])


class CappedDualIndexSIPN(SIPN):
    """Dual sourcing: expedite up to ``expedite_level`` on the expedited position, then order regular
    up to ``regular_level`` on the regular position counting the expedited order, at most ``cap``
    (as ``CappedDualIndexPolicy``)."""

    parameter_names = ("expedite_level", "regular_level", "cap")
    state_inputs = DualSourcingMLP.state_inputs

    def act(self, obs, p):
        system, state = obs.system, obs.state
        expedited = (p["expedite_level"] - system.expedited_position(state)).clamp_min(0.0)
        gap = (p["regular_level"] - system.inventory_position(state) - expedited).clamp_min(0.0)
        return orders(torch.minimum(gap, p["cap"]), expedited)


class PerishableBaseStockSIPN(SIPN):
    """Perishable: ``(level - position)^+`` on the sellable or the inventory position (as
    ``SellableBaseStockPolicy`` / ``PerishableBaseStockPolicy``)."""

    parameter_names = ("level",)
    state_inputs = PerishableMLP.state_inputs

    def position_of(self, obs):
        if self.config.position == "sellable":
            return obs.system.sellable_position(obs.state)
        return obs.system.inventory_position(obs.state)

    def act(self, obs, p):
        return (p["level"] - self.position_of(obs)).clamp_min(0.0)


class IntervalSIPN(SIPN):
    """Procurement and removal: order up to ``order_level`` a; at IP >= a remove down to
    ``removal_level`` b (b < a allowed), as ``IntervalPolicy``."""

    parameter_names = ("order_level", "removal_level")

    def act(self, obs, p):
        position = obs.system.inventory_position(obs.state)
        order = (p["order_level"] - position).clamp_min(0.0)
        removal = torch.where(position >= p["order_level"], (position - p["removal_level"]).clamp_min(0.0), 0.0)
        return actions(order, removal)


def _lead(pipe) -> float:
    return float(pipe.lead_time.float().mean())


def _build_single(system: SingleLocation, config: SIPNConfig, n_features: int) -> CappedBaseStockSIPN:
    level = _lead(system.pipe) + config.level_init
    return CappedBaseStockSIPN(1 + system.max_lead_time, n_features, config, {"level": level, "cap": config.cap_init})


def _build_dual(system: DualSourcing, config: SIPNConfig, n_features: int) -> CappedDualIndexSIPN:
    initial = {"expedite_level": _lead(system.expedited_pipe) + config.level_init,
               "regular_level": _lead(system.pipe) + config.level_init, "cap": config.cap_init}
    inputs = 1 + system.max_lead_time + system.expedited_pipe.max_lead_time
    return CappedDualIndexSIPN(inputs, n_features, config, initial)


def _build_perishable(system: Perishable, config: SIPNConfig, n_features: int) -> PerishableBaseStockSIPN:
    # the sellable position already looks L periods ahead: its level is about one period of demand
    lead = 0.0 if config.position == "sellable" else _lead(system.pipe)
    return PerishableBaseStockSIPN(system.shelf_life + system.max_lead_time, n_features, config,
                                   {"level": lead + config.level_init})


def _build_interval(system: ProcurementRemoval, config: SIPNConfig, n_features: int) -> IntervalSIPN:
    order = _lead(system.pipe) + config.level_init
    return IntervalSIPN(1 + system.max_lead_time, n_features, config,
                        {"order_level": order, "removal_level": order + config.removal_margin_init})


register_architecture("sipn", SingleLocation, SIPNConfig, _build_single)
register_architecture("sipn", DualSourcing, SIPNConfig, _build_dual)
register_architecture("sipn", Perishable, SIPNConfig, _build_perishable)
register_architecture("sipn", ProcurementRemoval, SIPNConfig, _build_interval)
