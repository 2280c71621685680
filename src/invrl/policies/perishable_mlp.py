"""The vanilla MLP for perishable stock: stock by remaining life and the pipeline in, one order out.

The same network as the one-location MLP (``policies/mlp.py``); the age
profile is its input, so the policy can tell fresh stock from stock about to
expire (which a base-stock policy on the inventory position cannot).
"""

from __future__ import annotations

import torch

from invrl.policies.mlp import MLPConfig, MLPPolicy
from invrl.policies.registry import register_architecture
from invrl.systems.base import Observation
from invrl.systems.perishable import Perishable


class PerishableMLP(MLPPolicy):
    def state_inputs(self, obs: Observation) -> torch.Tensor:
        state = obs.state
        return torch.cat([state.stock, state.pipeline], dim=-1) / obs.system.demand_mean[..., None]


def build(system: Perishable, config: MLPConfig, n_features: int) -> PerishableMLP:
    inputs = system.shelf_life + system.max_lead_time + (n_features if config.use_features else 0)
    return PerishableMLP(inputs, config)


register_architecture("mlp", Perishable, MLPConfig, build)
