"""One stocking location facing demand with lost sales or backlog.

Events in period t: the order placed now joins the pipeline (lead time L;
L = 0 arrives at once), the units due at t arrive, demand is served from
on-hand stock, then holding cost ``h`` is charged on what is left and
shortage cost ``p`` on each unit lost (lost sales) or backordered (backlog).
With Poisson(5) demand, h = 1, p = 4 and L = 1 the optimal lost-sales cost is
4.04 (Zipkin 2008).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from invrl.systems.base import Pipeline, State, System, as_param, serve


@dataclass
class InventoryState(State):
    on_hand: torch.Tensor
    """Stock at the end of the previous period ``[B, N]``; negative means backorders."""
    pipeline: torch.Tensor
    """Units due at the start of periods t, t+1, ... ``[B, N, max lead time]``."""


class SingleLocation(System):
    def __init__(
        self,
        *,
        lead_time,
        holding_cost,
        shortage_cost,
        lost_sales: bool,
        demand_mean,
        n_locations: int = 1,
        initial_on_hand=None,
    ):
        """``demand_mean`` scales features and sets the default starting stock.

        The default start is one period of demand on hand and one in every
        pipeline slot the lead time uses, near the steady state of a sensible
        policy, so short warm-ups suffice.
        """
        self.n_locations = self.n_stores = n_locations
        self.lost_sales = bool(lost_sales)
        self.pipe = Pipeline(as_param(lead_time, n_locations, torch.long))
        self.holding_cost = as_param(holding_cost, n_locations)
        self.shortage_cost = as_param(shortage_cost, n_locations)
        self.demand_mean = as_param(demand_mean, n_locations)
        self.initial_on_hand = self.demand_mean if initial_on_hand is None else as_param(initial_on_hand, n_locations)

    per_sample = ("holding_cost", "shortage_cost", "demand_mean", "initial_on_hand")

    def initial_state(self, batch: int) -> InventoryState:
        shape = (batch, self.n_locations)
        in_transit = self.demand_mean[..., None] * self.pipe.slot[..., 1:].flip(-1).cumsum(-1).flip(-1)
        return InventoryState(
            on_hand=self.initial_on_hand.expand(shape).clone(),
            pipeline=in_transit.expand(*shape, self.max_lead_time).clone(),
        )

    def inventory_position(self, state: InventoryState) -> torch.Tensor:
        return state.on_hand + state.pipeline.sum(-1)

    def step(self, state: InventoryState, action: torch.Tensor, demand: torch.Tensor):
        arrivals, pipeline = self.pipe.advance(state.pipeline, action)
        on_hand, sales, unmet = serve(state.on_hand + arrivals, demand, self.lost_sales)
        cost = self.holding_cost * (on_hand if self.lost_sales else on_hand.clamp_min(0.0)) + self.shortage_cost * unmet
        info = {
            "arrivals": arrivals,
            "sales": sales,
            "unmet": unmet,
            "violation": (-action.detach()).clamp_min(0.0).sum(),
        }
        return InventoryState(on_hand=on_hand, pipeline=pipeline), cost, info
