"""Inventory networks: stocking locations joined by shipment edges.

One simulator serves every network family (serial lines, one warehouse with
many stores, a transshipment centre, several warehouses): a family is only a
topology and its parameters (``systems/topologies.py``). Nodes ``0..N-1`` are
the stores, which face demand; nodes ``N..`` are warehouses. Edge ``e`` ships
from ``source[e]`` (``-1``: the outside supplier, unlimited) to
``destination[e]`` with lead time ``L_e >= 1``.

Events in period t:
1. the shipments due at t arrive at their destinations;
2. the action, one quantity per edge ``[B, E]``, is shipped: what leaves a
   node is at most its stock after arrivals (``available``), and a node that
   cannot hold stock (a transshipment centre) ships all of it on;
3. stores serve demand from what is left, losing or backlogging the rest;
4. costs: holding ``h`` per unit on hand at the end of the period at every
   node, shortage ``p`` per unit lost or backordered at a store, and a
   shipping cost per unit on each edge, charged to the receiving node.

A shipment sent at t arrives at the start of t + L_e, so upstream stock is
never used twice in one period and the lead time of a path is the sum of its
edges' lead times. Infeasible actions are counted into ``violation``, never
silently repaired: feasibility is the policy's job (``policies/allocation.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from invrl.systems.base import Pipeline, State, System, as_param, serve

SUPPLIER = -1
FEASIBILITY_TOLERANCE = 1e-4
"""Units a node may over-ship per period before it counts as a violation (float round-off)..."""
RELATIVE_FEASIBILITY_TOLERANCE = 1e-5
"""...plus this fraction of its available stock: float32 proportional shares of a few thousand
units over 50 stores sum to about 2e-4 units more than the stock (seen at one warehouse, N = 50)."""


def downstream_matrix(source: torch.Tensor, destination: torch.Tensor, n_nodes: int) -> torch.Tensor:
    """``M[i, j] = 1`` when node i is j or below it (j reaches i along edges), ``[nodes, nodes]``."""
    reach = torch.eye(n_nodes)
    step = torch.zeros(n_nodes, n_nodes)
    internal = source >= 0
    step[destination[internal], source[internal]] = 1.0
    for _ in range(n_nodes):
        reach = ((reach + step @ reach) > 0).float()
    return reach


@dataclass
class NetworkState(State):
    on_hand: torch.Tensor
    """Stock at every node at the end of the previous period ``[B, nodes]``; negative at a store means backorders."""
    pipeline: torch.Tensor
    """Units in transit on every edge ``[B, edges, max lead time]``; slot k is due at the start of t + k."""


class Network(System):
    """A batched, differentiable inventory network with a fixed topology.

    Node parameters (holding cost, shortage cost, demand mean) are ``[S or 1,
    nodes]``; edge parameters (lead time, shipping cost) are ``[S or 1,
    edges]``. Costs are returned per node; ``n_stores`` is the unit in which
    costs are reported (per period per store).
    """

    def __init__(
        self,
        *,
        n_stores: int,
        n_warehouses: int,
        source,
        destination,
        lead_time,
        holding_cost,
        shortage_cost,
        demand_mean,
        lost_sales: bool,
        shipping_cost=0.0,
        holds_stock=None,
        initial_on_hand=None,
    ):
        self.n_stores, self.n_warehouses = int(n_stores), int(n_warehouses)
        self.n_locations = self.n_nodes = self.n_stores + self.n_warehouses
        self.source = torch.as_tensor(source, dtype=torch.long)
        self.destination = torch.as_tensor(destination, dtype=torch.long)
        self.n_edges = int(self.source.numel())
        self._check_topology()
        self.lost_sales = bool(lost_sales)
        self.pipe = Pipeline(as_param(lead_time, self.n_edges, torch.long))
        if int(self.pipe.lead_time.min()) < 1:
            raise ValueError("network edges need lead times >= 1 (a shipment arrives in a later period)")
        self.holding_cost = as_param(holding_cost, self.n_nodes)
        self.shortage_cost = as_param(shortage_cost, self.n_nodes)
        self.shipping_cost = as_param(shipping_cost, self.n_edges)
        mean = as_param(demand_mean, self.n_stores)
        self.holds_stock = torch.ones(self.n_nodes, dtype=torch.bool) if holds_stock is None else torch.as_tensor(holds_stock, dtype=torch.bool)
        self.has_crossdock = not bool(self.holds_stock.all())  # a host-side flag: round_action never syncs
        # incidence matrices: arrivals and shipments per edge -> per node, as one matmul each
        self.into = torch.nn.functional.one_hot(self.destination, self.n_nodes).float()
        out_of = torch.zeros(self.n_edges, self.n_nodes)
        internal = self.source >= 0
        out_of[internal.nonzero().squeeze(-1), self.source[internal]] = 1.0
        self.out_of = out_of
        self.edge_rate, self.node_rate = self._flow_rates(mean)
        self.demand_mean = mean
        self.downstream = downstream_matrix(self.source, self.destination, self.n_nodes)
        self.initial_on_hand = (
            self.node_rate * self.holds_stock.float() if initial_on_hand is None else as_param(initial_on_hand, self.n_nodes)
        )
        # echelon position of the default initial state: the reference policies' features are centred on
        self.initial_echelon_position = (
            self.initial_on_hand + (self.edge_rate * self.pipe.lead_time.float()) @ self.into
        ) @ self.downstream

    def _check_topology(self) -> None:
        if self.source.shape != self.destination.shape or self.source.dim() != 1:
            raise ValueError("source and destination must be 1-D and of equal length (one entry per edge)")
        if int(self.destination.min()) < 0 or int(self.destination.max()) >= self.n_nodes:
            raise ValueError(f"edge destinations must be nodes 0..{self.n_nodes - 1}")
        if int(self.source.max()) >= self.n_nodes or int(self.source.min()) < SUPPLIER:
            raise ValueError(f"edge sources must be -1 (supplier) or nodes 0..{self.n_nodes - 1}")
        if bool((self.source[self.source >= 0] < self.n_stores).any()):
            raise ValueError("stores (nodes 0..n_stores-1) cannot ship to other nodes")
        if bool((self.source == self.destination).any()):
            raise ValueError("an edge cannot ship from a node to itself")
        internal = self.source >= 0
        step = torch.zeros(self.n_nodes, self.n_nodes)
        step[self.source[internal], self.destination[internal]] = 1.0
        reach = step.clone()
        for _ in range(self.n_nodes):  # reach[i, j] = 1: j is below i along some path
            reach = ((reach + reach @ step) > 0).float()
        if bool(reach.diagonal().any()):
            raise ValueError("edges between nodes form a cycle; a network must be acyclic (flows go from the supplier down to the stores)")

    def _flow_rates(self, store_mean: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean flow on every edge and through every node in steady state, splitting a node's
        rate evenly over its inbound edges; sets the default initial stock and pipelines."""
        batch = store_mean.shape[0]
        node_rate = torch.cat([store_mean, torch.zeros(batch, self.n_warehouses)], dim=1)
        in_degree = self.into.sum(0).clamp_min(1.0)
        edge_rate = torch.zeros(batch, self.n_edges)
        for _ in range(self.n_nodes):  # propagate upstream; a DAG settles within n_nodes sweeps
            edge_rate = (node_rate / in_degree) @ self.into.T
            upstream = edge_rate @ self.out_of
            node_rate = torch.cat([store_mean, upstream[:, self.n_stores:]], dim=1)
        return edge_rate, node_rate

    per_sample = ("holding_cost", "shortage_cost", "shipping_cost", "demand_mean", "initial_on_hand", "edge_rate",
                  "node_rate", "initial_echelon_position")
    shared = ("source", "destination", "holds_stock", "into", "out_of", "downstream")

    def initial_state(self, batch: int) -> NetworkState:
        shape = (batch, self.n_edges, self.max_lead_time)
        # slots 0..L_e-1 of edge e hold one period of its mean flow each
        in_transit = self.edge_rate[..., None] * self.pipe.slot[..., 1:].flip(-1).cumsum(-1).flip(-1)
        return NetworkState(
            on_hand=self.initial_on_hand.expand(batch, self.n_nodes).clone(),
            pipeline=in_transit.expand(shape).clone(),
        )

    def arrivals(self, state: NetworkState) -> torch.Tensor:
        """Units arriving at every node at the start of this period ``[B, nodes]``."""
        return state.pipeline[..., 0] @ self.into

    def available(self, state: NetworkState) -> torch.Tensor:
        """Stock each node can ship or sell this period: on hand plus arrivals ``[B, nodes]``."""
        return state.on_hand + self.arrivals(state)

    def inventory_position(self, state: NetworkState) -> torch.Tensor:
        """On hand plus everything in transit to the node ``[B, nodes]``."""
        return state.on_hand + state.pipeline.sum(-1) @ self.into

    def echelon_position(self, state: NetworkState) -> torch.Tensor:
        """Echelon inventory position ``[B, nodes]``: the inventory positions of the node and
        every node below it (the quantity an echelon base-stock policy orders up to)."""
        return self.inventory_position(state) @ self.downstream

    def round_action(self, action: torch.Tensor) -> torch.Tensor:
        """Whole units that stay feasible: supplier orders round, shipments out of a node
        round down (integral stock then always covers the sum of what leaves). A node that
        holds no stock must ship all of its (integral) stock, so the units that rounding down
        would leave there go, one each, to its edges with the largest remainders."""
        from_supplier = self.source < 0
        rounded = torch.where(from_supplier, torch.round(action), torch.floor(action + 1e-3))
        if not self.has_crossdock:
            return rounded
        crossdock = ~self.holds_stock[self.source.clamp_min(0)] & ~from_supplier  # [E]
        out = self.out_of * crossdock[:, None].float()  # [E, nodes]: edges out of a centre
        left = torch.round(action @ out) - rounded @ out  # [B, nodes] whole units left behind
        remainder = torch.where(crossdock, action - rounded, torch.full_like(action, -1.0))
        index = torch.arange(self.n_edges, device=action.device)
        ahead = (remainder[:, None, :] > remainder[:, :, None]) | (
            (remainder[:, None, :] == remainder[:, :, None]) & (index[None, :] < index[:, None])
        )  # [B, e, e']: e' comes before e
        rank = (ahead.float() * (out @ out.T)).sum(-1)  # siblings out of the same centre ranked before e
        return rounded + (crossdock & (rank < left[:, self.source.clamp_min(0)])).to(action.dtype)

    def step(self, state: NetworkState, action: torch.Tensor, demand: torch.Tensor):
        arrivals_per_edge = state.pipeline[..., 0]
        available = state.on_hand + arrivals_per_edge @ self.into
        shipped = action @ self.out_of
        after_shipping = available - shipped
        over = (shipped - available.clamp_min(0.0)).clamp_min(0.0)
        left_at_crossdock = after_shipping.clamp_min(0.0) * (~self.holds_stock).float()
        slack = FEASIBILITY_TOLERANCE + RELATIVE_FEASIBILITY_TOLERANCE * available.detach().abs()
        violation = (
            (-action.detach()).clamp_min(0.0).sum()
            + (over.detach() - slack).clamp_min(0.0).sum()
            + (left_at_crossdock.detach() - slack).clamp_min(0.0).sum()
        )
        store_end, sales, unmet = serve(after_shipping[:, : self.n_stores], demand, self.lost_sales)
        on_hand = torch.cat([store_end, after_shipping[:, self.n_stores:]], dim=1)
        shortage = torch.nn.functional.pad(unmet, (0, self.n_warehouses))
        cost = (
            self.holding_cost * on_hand.clamp_min(0.0)
            + self.shortage_cost * shortage
            + (action * self.shipping_cost) @ self.into
        )
        _, pipeline = self.pipe.advance(state.pipeline, action)
        info = {"arrivals": arrivals_per_edge @ self.into, "sales": sales, "unmet": unmet, "violation": violation}
        return NetworkState(on_hand=on_hand, pipeline=pipeline), cost, info
