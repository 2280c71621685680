"""The symmetry-aware network policy of HDPO (Alvo, Russo and Kanoria).

Three small networks instead of one big one:

- a **context net** summarises the whole network into a vector of ``context``
  numbers;
- a **warehouse net**, shared by every warehouse, reads a warehouse's
  features, those of its inbound edge (pipeline, lead time) and of the edge's
  source (zeros for the outside supplier) with the context, and asks for the
  order on that edge (its supplier order; in a serial line, the shipment from
  the warehouse above);
- a **store net**, shared by every store, reads a store's features (which
  include its cost parameters), the features of one inbound edge (its
  pipeline, lead time and shipping cost), the features of that edge's source
  warehouse and the context, and asks for the shipment on that edge. A store
  with several inbound edges (``multi_warehouse``) gets one application per
  edge; with one inbound edge the source-warehouse features are the same for
  every store and simply ride along.

Requests are ``softplus(...)`` in units of the edge's mean flow, and
``feasible_shipments`` makes them feasible. Everything is vectorised over the
edge list with gathers: the edges into stores are one batch of rows for the
store net, the edges into warehouses one batch for the warehouse net; there is
no Python loop over stores.

Deliberate departure from the paper: its context net takes the full flattened
state, which ties the parameter count to the number of stores and makes the
context (so the whole policy) depend on how the stores are numbered. Here the
stores enter the context only through the *mean* of a per-store-edge embedding
(one shared embedding net), concatenated with the warehouses' own node and
inbound-edge features. The context is therefore invariant to permutations of
the stores, the policy is equivariant to them (relabelling stores relabels
their shipments and changes nothing else), and the parameter count does not
depend on the number of stores: weights trained on one network load into a
policy built for a larger one with ``load_state_dict`` (index tensors are
non-persistent buffers derived from the topology). It still depends on the
longest lead time (the width of the edge features) and on the warehouse layout.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from invrl.policies.allocation import feasible_shipments
from invrl.policies.network_features import NODE_FEATURES, edge_feature_count, edge_features, node_features
from invrl.policies.network_mlp import init_output, mlp
from invrl.systems.base import Observation
from invrl.systems.network import Network


@dataclass(frozen=True)
class SymmetryAwareConfig:
    context: int = 16
    """Width of the context vector every store and warehouse net reads."""
    embedding: int = 16
    """Width of the per-store-edge embedding whose mean over stores enters the context net."""
    context_hidden: tuple[int, ...] = (32,)
    """Hidden widths of the store embedding net and of the context net."""
    hidden: tuple[int, ...] = (32, 32)
    """Hidden widths of the store net and of the warehouse net."""
    activation: str = "elu"
    """Hidden activation: elu, relu, tanh or silu."""


class SymmetryAwarePolicy(nn.Module):
    def __init__(self, system: Network, config: SymmetryAwareConfig = SymmetryAwareConfig()):
        super().__init__()
        n, n_stores = system.n_nodes, system.n_stores
        # the outside supplier is row n of the padded node features: all zeros
        source = torch.where(system.source < 0, torch.full_like(system.source, n), system.source)
        destination = system.destination
        to_store = destination < n_stores
        store_edges = to_store.nonzero().squeeze(-1)
        warehouse_edges = (~to_store).nonzero().squeeze(-1)
        if store_edges.numel() == 0:
            raise ValueError("the symmetry-aware policy needs at least one edge into a store")
        order = torch.cat([warehouse_edges, store_edges])
        for name, value in {
            "store_edges": store_edges, "store_dst": destination[store_edges], "store_src": source[store_edges],
            "warehouse_edges": warehouse_edges, "warehouse_dst": destination[warehouse_edges],
            "warehouse_src": source[warehouse_edges], "warehouse_nodes": torch.arange(n_stores, n),
            "unsort": torch.argsort(order),  # [warehouse requests, store requests] -> edge order
        }.items():
            self.register_buffer(name, value.clone(), persistent=False)

        edge_width = edge_feature_count(system.max_lead_time)
        pair = 2 * NODE_FEATURES + edge_width  # (destination, edge, source) features of one edge
        context_in = config.embedding + system.n_warehouses * NODE_FEATURES + warehouse_edges.numel() * edge_width
        act = config.activation
        self.embed = mlp(pair, tuple(config.context_hidden), config.embedding, act)
        self.context_net = mlp(context_in, tuple(config.context_hidden), config.context, act)
        self.store_net = mlp(pair + config.context, tuple(config.hidden), 1, act)
        init_output(self.store_net[-1])
        self.warehouse_net = None
        if warehouse_edges.numel():
            self.warehouse_net = mlp(pair + config.context, tuple(config.hidden), 1, act)
            init_output(self.warehouse_net[-1])

    @staticmethod
    def _edge_rows(nodes: torch.Tensor, edges: torch.Tensor, index, dst, src) -> torch.Tensor:
        """``[B, k, 2 * NODE_FEATURES + edge width]``: destination, edge and source features of edges ``index``."""
        return torch.cat([nodes.index_select(1, dst), edges.index_select(1, index), nodes.index_select(1, src)], dim=-1)

    def forward(self, obs: Observation) -> torch.Tensor:
        nodes = node_features(obs)
        edges = edge_features(obs)
        batch = nodes.shape[0]
        padded = nn.functional.pad(nodes, (0, 0, 0, 1))  # + the supplier's zero row
        store_rows = self._edge_rows(padded, edges, self.store_edges, self.store_dst, self.store_src)
        summary = [
            self.embed(store_rows).mean(1),  # invariant to the order of the stores
            nodes.index_select(1, self.warehouse_nodes).flatten(1),
            edges.index_select(1, self.warehouse_edges).flatten(1),
        ]
        context = self.context_net(torch.cat(summary, dim=-1))[:, None, :]

        def ask(net, rows):
            return net(torch.cat([rows, context.expand(batch, rows.shape[1], -1)], dim=-1)).squeeze(-1)

        requests = [ask(self.store_net, store_rows)]
        if self.warehouse_net is not None:
            rows = self._edge_rows(padded, edges, self.warehouse_edges, self.warehouse_dst, self.warehouse_src)
            requests.insert(0, ask(self.warehouse_net, rows))
        raw = torch.cat(requests, dim=1).index_select(1, self.unsort)
        request = nn.functional.softplus(raw) * obs.system.edge_rate
        return feasible_shipments(request, obs.system, obs.state)
