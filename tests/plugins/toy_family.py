"""A problem family and a policy from outside the package: the proof that the core is open.

``capped_single_location``: one location whose supplier ships at most ``order_cap`` units a
period (a system that clips the order), and ``toy_linear``: a policy architecture for it that
orders ``relu(a - b * inventory position)``. Registered from this file alone (``plugins:``).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from invrl.families import SYSTEM_FAMILIES, SystemFamily
from invrl.policies.registry import register_architecture
from invrl.systems.single_location import SingleLocation


class CappedSingleLocation(SingleLocation):
    def __init__(self, *, order_cap: float, **kwargs):
        super().__init__(**kwargs)
        self.order_cap = float(order_cap)

    def step(self, state, action, demand):
        return super().step(state, action.clamp(max=self.order_cap), demand)


@dataclass(frozen=True)
class ToyLinearConfig:
    initial_level: float = 10.0
    """Order-up-to level the policy starts from."""


class ToyLinear(nn.Module):
    def __init__(self, system, config: ToyLinearConfig):
        super().__init__()
        self.level = nn.Parameter(torch.tensor(float(config.initial_level)))

    def forward(self, obs):
        return nn.functional.softplus(self.level - obs.system.inventory_position(obs.state))


def build(setting: dict, demand=None) -> CappedSingleLocation:
    return CappedSingleLocation(
        order_cap=setting["order_cap"], lead_time=setting["lead_time"], holding_cost=setting["holding_cost"],
        shortage_cost=setting["shortage_cost"], lost_sales=True, demand_mean=float(setting["demand"]["mean"]),
    )


SYSTEM_FAMILIES.register("capped_single_location", SystemFamily(
    name="capped_single_location",
    system=CappedSingleLocation,
    build=build,
    schema={
        "type": "object",
        "required": ["order_cap", "lead_time", "holding_cost", "shortage_cost"],
        "properties": {
            "order_cap": {"type": "number", "exclusiveMinimum": 0},
            "lead_time": {"type": "integer", "minimum": 0},
            "holding_cost": {"type": "number", "minimum": 0},
            "shortage_cost": {"type": "number", "minimum": 0},
        },
    },
    demand_law=lambda setting: dict(setting["demand"]),
    heuristics=("base_stock",),
), replace=True)
register_architecture("toy_linear", CappedSingleLocation, ToyLinearConfig,
                      lambda system, config, n_features: ToyLinear(system, config))
