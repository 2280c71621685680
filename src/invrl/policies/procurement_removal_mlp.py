"""The vanilla MLP for procurement and removal: net inventory and pipeline in, (order, removal) out.

The same network as the one-location MLP (``policies/mlp.py``) with two outputs; the system
carries out their difference, so the output layer starts ordering about one period of mean
demand and removing almost nothing (equal starting outputs would cancel to a net of zero).
"""

from __future__ import annotations

import math

import torch

from invrl.policies.mlp import MLPConfig, MLPPolicy
from invrl.policies.registry import register_architecture
from invrl.systems.procurement_removal import ProcurementRemoval

REMOVAL_INIT = 0.05
"""Starting removal request, in periods of mean demand."""


def build(system: ProcurementRemoval, config: MLPConfig, n_features: int) -> MLPPolicy:
    policy = MLPPolicy(MLPPolicy.n_inputs(system.max_lead_time, n_features if config.use_features else 0), config,
                       n_outputs=2)
    if config.initial_order > 0:
        with torch.no_grad():
            out = policy.net[-1]
            out.bias[0] = math.log(math.expm1(config.initial_order))
            out.bias[1] = math.log(math.expm1(REMOVAL_INIT))
    return policy


register_architecture("mlp", ProcurementRemoval, MLPConfig, build)
