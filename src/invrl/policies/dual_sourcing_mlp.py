"""The vanilla MLP for dual sourcing: both pipelines in, both orders out.

The same network as the one-location MLP (``policies/mlp.py``), reading the
net inventory, the regular and the expedited pipeline in units of mean
demand, and returning the pair (regular, expedited) ``[B, N, 2]``.
"""

from __future__ import annotations

import torch

from invrl.policies.mlp import MLPConfig, MLPPolicy
from invrl.policies.registry import register_architecture
from invrl.systems.base import Observation
from invrl.systems.dual_sourcing import DualSourcing


class DualSourcingMLP(MLPPolicy):
    def state_inputs(self, obs: Observation) -> torch.Tensor:
        state = obs.state
        parts = [state.on_hand[..., None], state.pipeline, state.expedited_pipeline]
        return torch.cat(parts, dim=-1) / obs.system.demand_mean[..., None]


def build(system: DualSourcing, config: MLPConfig, n_features: int) -> DualSourcingMLP:
    inputs = 1 + system.max_lead_time + system.expedited_pipe.max_lead_time + (n_features if config.use_features else 0)
    return DualSourcingMLP(inputs, config, n_outputs=2)


register_architecture("mlp", DualSourcing, MLPConfig, build)
