"""What a network policy sees: per-node and per-edge features of the observation.

Stock is measured in periods of the node's (or edge's) mean flow, so one
network serves nodes of different sizes and sibling stores look alike up to
their parameters. Node features: on hand, arriving now, in transit to the
node, the echelon inventory position (the node and all below it, centred on
the default initial state's, so it is near 0 in steady state: the one
quantity an echelon base-stock policy needs), holding and shortage cost, whether it is a store, whether it holds
stock. Edge features: the pipeline slots, the lead time, the shipping cost
and whether the edge comes from the supplier.
"""

from __future__ import annotations

import torch

from invrl.systems.base import Observation

NODE_FEATURES = 8


def node_features(obs: Observation) -> torch.Tensor:
    """``[B, nodes, NODE_FEATURES]``."""
    system, state = obs.system, obs.state
    batch, n = state.on_hand.shape
    scale = system.node_rate.clamp_min(1e-3)
    stock = torch.stack([
        state.on_hand / scale,
        system.arrivals(state) / scale,
        (state.pipeline.sum(-1) @ system.into) / scale,
        (system.echelon_position(state) - system.initial_echelon_position) / scale,
    ], dim=-1)
    is_store = (torch.arange(n, device=scale.device) < system.n_stores).float()
    params = torch.stack([
        system.holding_cost.expand(batch, n),
        system.shortage_cost.expand(batch, n) / 10.0,
        is_store.expand(batch, n),
        system.holds_stock.float().expand(batch, n),
    ], dim=-1)
    return torch.cat([stock, params], dim=-1)


def edge_features(obs: Observation) -> torch.Tensor:
    """``[B, edges, max lead time + 3]``."""
    system, state = obs.system, obs.state
    batch, edges, _ = state.pipeline.shape
    pipeline = state.pipeline / system.edge_rate.clamp_min(1e-3)[..., None]
    params = torch.stack([
        system.lead_time.float().expand(batch, edges) / max(system.max_lead_time, 1),
        system.shipping_cost.expand(batch, edges),
        (system.source < 0).float().expand(batch, edges),
    ], dim=-1)
    return torch.cat([pipeline, params], dim=-1)


def edge_feature_count(max_lead_time: int) -> int:
    return max_lead_time + 3
