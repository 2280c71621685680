"""One location selling a perishable product: shelf life m periods, lead time L, lost sales.

Stock is tracked by remaining life ``[B, N, m]`` (index 0: one period left).
Events in period t (De Moor, Gijsbrechts and Boute 2022; Temizöz et al. 2023):

1. the order q, clipped to [0, max_order] (negative parts count as violations), is placed
   and joins the pipeline at slot L;
2. the units due at t arrive fresh, with m periods of life (L = 0: the order itself);
3. demand D is issued by age: a share f (``fifo_share``) oldest first, then the rest
   (1 - f) D newest first from what is left (f = 1: FIFO, f = 0: LIFO); unmet demand is lost;
4. the period costs c q + h (units left with two or more periods of life) + p (units lost)
   + w (units left with one period of life: they expire now; they pay w, not h);
5. what is left ages by one period.

So at a decision the class with m periods left is empty (arrivals join it during the
step); with m = 2, L = 1 the state is (``stock[..., 0]``, ``pipeline[..., 0]``), De Moor's
(older, newest) batch. Issuing is ``min(stock_j, (D - stock ahead of j)^+)`` on cumulative
sums over the age classes, so the step is differentiable almost everywhere.
``exact.perishable`` solves the same process exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from invrl.systems.base import Pipeline, State, System, as_param


def issue(stock: torch.Tensor, demand: torch.Tensor, fifo: bool) -> torch.Tensor:
    """Units taken from each age class ``[..., m]`` (oldest first) by ``demand`` ``[...]``."""
    ordered = stock if fifo else stock.flip(-1)
    ahead = ordered.cumsum(-1) - ordered
    taken = torch.minimum(ordered, (demand[..., None] - ahead).clamp_min(0.0))
    return taken if fifo else taken.flip(-1)


@dataclass
class PerishableState(State):
    stock: torch.Tensor
    """Units on hand at the start of the period by remaining life 1..m ``[B, N, m]``."""
    pipeline: torch.Tensor
    """Units due at the start of periods t, t+1, ... ``[B, N, max lead time]``."""

    @property
    def on_hand(self) -> torch.Tensor:
        """Units on hand of every age ``[B, N]`` (what ``rollout`` records and generic code reads)."""
        return self.stock.sum(-1)


class Perishable(System):
    def __init__(
        self,
        *,
        shelf_life: int,
        lead_time,
        ordering_cost,
        holding_cost,
        shortage_cost,
        outdating_cost,
        demand_mean,
        issuing: str = "fifo",
        fifo_share=None,
        max_order=float("inf"),
        n_locations: int = 1,
        initial_on_hand=None,
    ):
        """The default start: one period of mean demand in the class with m - 1 periods left (last
        period's batch) and in every pipeline slot the lead time uses."""
        if issuing not in ("fifo", "lifo"):
            raise ValueError(f"issuing must be 'fifo' or 'lifo', got {issuing!r}")
        self.shelf_life = int(shelf_life)
        if self.shelf_life < 1:
            raise ValueError(f"shelf_life must be >= 1, got {shelf_life}")
        self.n_locations = self.n_stores = n_locations
        self.issuing = issuing
        share = (1.0 if issuing == "fifo" else 0.0) if fifo_share is None else fifo_share
        self.fifo_share = as_param(share, n_locations)
        self.pipe = Pipeline(as_param(lead_time, n_locations, torch.long))
        self.ordering_cost = as_param(ordering_cost, n_locations)
        self.holding_cost = as_param(holding_cost, n_locations)
        self.shortage_cost = as_param(shortage_cost, n_locations)
        self.outdating_cost = as_param(outdating_cost, n_locations)
        self.max_order = as_param(max_order, n_locations)
        self.demand_mean = as_param(demand_mean, n_locations)
        self.initial_on_hand = self.demand_mean if initial_on_hand is None else as_param(initial_on_hand, n_locations)

    per_sample = ("fifo_share", "ordering_cost", "holding_cost", "shortage_cost", "outdating_cost", "max_order",
                  "demand_mean", "initial_on_hand")

    def initial_state(self, batch: int) -> PerishableState:
        shape = (batch, self.n_locations)
        in_transit = self.demand_mean[..., None] * self.pipe.slot[..., 1:].flip(-1).cumsum(-1).flip(-1)
        stock = self.demand_mean.new_zeros(*shape, self.shelf_life)
        if self.shelf_life > 1:
            stock[..., self.shelf_life - 2] = self.initial_on_hand.expand(shape)
        return PerishableState(stock=stock, pipeline=in_transit.expand(*shape, self.max_lead_time).clone())

    def inventory_position(self, state: PerishableState) -> torch.Tensor:
        """Units on hand of every age plus everything on order."""
        return state.stock.sum(-1) + state.pipeline.sum(-1)

    def sellable_position(self, state: PerishableState) -> torch.Tensor:
        """The units still in date when an order placed now arrives (L periods on), projected with
        mean demand: each period the units due arrive, mean demand is issued as in ``step`` and
        what would expire is dropped. Plain inventory position counts units that will be sold or
        outdated before the order lands."""
        stock = state.stock
        for k in range(self.max_lead_time):
            due = stock[..., -1:] + state.pipeline[..., k : k + 1]
            now = torch.cat([stock[..., :-1], due], dim=-1)
            now = now - self.issued(now, self.demand_mean)
            aged = torch.cat([now[..., 1:], torch.zeros_like(now[..., :1])], dim=-1)
            stock = torch.where((k < self.lead_time)[..., None], aged, stock)
        return stock.sum(-1)

    def issued(self, stock: torch.Tensor, demand: torch.Tensor) -> torch.Tensor:
        """Units taken from each age class: ``fifo_share`` of the demand oldest first, the rest newest first."""
        oldest_first = issue(stock, self.fifo_share * demand, fifo=True)
        return oldest_first + issue(stock - oldest_first, (1.0 - self.fifo_share) * demand, fifo=False)

    def step(self, state: PerishableState, action: torch.Tensor, demand: torch.Tensor):
        raw = action.reshape(demand.shape)
        order = torch.minimum(raw.clamp_min(0.0), self.max_order)
        arrivals, pipeline = self.pipe.advance(state.pipeline, order)
        stock = torch.cat([state.stock[..., :-1], state.stock[..., -1:] + arrivals[..., None]], dim=-1)
        taken = self.issued(stock, demand)
        left = stock - taken
        sales = taken.sum(-1)
        unmet = demand - sales
        expired = left[..., 0]
        cost = (self.ordering_cost * order + self.holding_cost * left[..., 1:].sum(-1)
                + self.shortage_cost * unmet + self.outdating_cost * expired)
        info = {
            "order": order,
            "arrivals": arrivals,
            "sales": sales,
            "unmet": unmet,
            "expired": expired,
            "violation": (-raw.detach()).clamp_min(0.0).sum(),
        }
        aged = torch.cat([left[..., 1:], torch.zeros_like(left[..., :1])], dim=-1)
        return PerishableState(stock=aged, pipeline=pipeline), cost, info
