"""The output layer that makes a network policy's shipments feasible.

A network policy proposes a non-negative request per edge. Requests out of a
node that holds stock are scaled down proportionally when together they ask
for more than the node has (after this period's arrivals); a node that holds
no stock (a transshipment centre) ships everything it has, split in
proportion to the requests. Supplier orders pass unchanged. The scaling is
differentiable, so HDPO learns through the allocation.
"""

from __future__ import annotations

import torch

from invrl.systems.network import Network, NetworkState

_TINY = 1e-6


def feasible_shipments(requests: torch.Tensor, system: Network, state: NetworkState) -> torch.Tensor:
    """``requests`` ``[B, E]`` (>= 0) -> shipments ``[B, E]`` within every node's available stock."""
    crossdock_edge = ~system.holds_stock[system.source.clamp_min(0)] & (system.source >= 0)
    requests = requests + _TINY * crossdock_edge.float()  # a centre with stock always has a split
    available = system.available(state).clamp_min(0.0)
    asked = requests @ system.out_of
    ratio = available / asked.clamp_min(_TINY)
    ratio = torch.where(system.holds_stock, ratio.clamp_max(1.0), ratio)
    edge_ratio = ratio[:, system.source.clamp_min(0)]
    return torch.where(system.source >= 0, requests * edge_ratio, requests)
