"""One location with two suppliers: a cheap slow regular one and a dear fast expedited one.

The action is the pair of orders ``[B, 2]`` (regular, expedited); each mode
has its own :class:`Pipeline`. Events in period t (Gijsbrechts et al. 2022,
whose optima Böttcher, Asikis and Fragkos 2023 tabulate):

1. both orders are placed; the regular one joins its pipeline at slot l_r,
   the expedited one at slot l_e (l_e = 0: it arrives at once);
2. the units due at t arrive from both pipelines;
3. demand is served from the net inventory (backlog, or lost sales via ``serve``);
4. the period costs c_r q_r + c_e q_e + h I^+ + b I^- with I the net
   inventory at its end (lost sales: b per unit lost).

So an order placed at t with lead time L serves demand from period t + L on,
and with l_e = 0 the expedited order serves this period's demand: uniform
{0..4} demand, h = 5, b = 495, c_r = 0, c_e = 20, l_r = 2 then has the
optimal average cost 23.07 (``exact.dual_sourcing`` solves it).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from invrl.systems.base import Pipeline, State, System, action_pair, as_param, serve


orders = action_pair  # orders(regular, expedited)


@dataclass
class DualSourcingState(State):
    on_hand: torch.Tensor
    """Net inventory at the end of the previous period ``[B, N]``; negative means backorders."""
    pipeline: torch.Tensor
    """Regular orders due at the start of periods t, t+1, ... ``[B, N, max l_r]``."""
    expedited_pipeline: torch.Tensor
    """Expedited orders due at the start of periods t, t+1, ... ``[B, N, max l_e]`` (empty for l_e = 0)."""


class DualSourcing(System):
    def __init__(
        self,
        *,
        regular_lead_time,
        expedited_lead_time,
        regular_cost,
        expedited_cost,
        holding_cost,
        shortage_cost,
        demand_mean,
        lost_sales: bool = False,
        n_locations: int = 1,
        initial_on_hand=None,
    ):
        """The default start is one period of mean demand on hand and in every regular pipeline
        slot the regular lead time uses (nothing expedited), near a sensible steady state."""
        self.n_locations = self.n_stores = n_locations
        self.lost_sales = bool(lost_sales)
        self.pipe = Pipeline(as_param(regular_lead_time, n_locations, torch.long))
        self.expedited_pipe = Pipeline(as_param(expedited_lead_time, n_locations, torch.long))
        self.regular_cost = as_param(regular_cost, n_locations)
        self.expedited_cost = as_param(expedited_cost, n_locations)
        self.holding_cost = as_param(holding_cost, n_locations)
        self.shortage_cost = as_param(shortage_cost, n_locations)
        self.demand_mean = as_param(demand_mean, n_locations)
        self.initial_on_hand = self.demand_mean if initial_on_hand is None else as_param(initial_on_hand, n_locations)

    per_sample = ("regular_cost", "expedited_cost", "holding_cost", "shortage_cost", "demand_mean", "initial_on_hand")

    @property
    def expedited_lead_time(self) -> torch.Tensor:
        return self.expedited_pipe.lead_time

    def select(self, index) -> DualSourcing:
        new = super().select(index)
        new.expedited_pipe = self.expedited_pipe.select(index)
        return new

    def to(self, device) -> DualSourcing:
        new = super().to(device)
        new.expedited_pipe = self.expedited_pipe.to(device)
        return new

    def initial_state(self, batch: int) -> DualSourcingState:
        shape = (batch, self.n_locations)
        in_transit = self.demand_mean[..., None] * self.pipe.slot[..., 1:].flip(-1).cumsum(-1).flip(-1)
        return DualSourcingState(
            on_hand=self.initial_on_hand.expand(shape).clone(),
            pipeline=in_transit.expand(*shape, self.max_lead_time).clone(),
            expedited_pipeline=self.demand_mean.new_zeros(*shape, self.expedited_pipe.max_lead_time),
        )

    def inventory_position(self, state: DualSourcingState) -> torch.Tensor:
        """Net inventory plus everything on order from both suppliers (the regular position)."""
        return state.on_hand + state.pipeline.sum(-1) + state.expedited_pipeline.sum(-1)

    def expedited_position(self, state: DualSourcingState) -> torch.Tensor:
        """Net inventory plus what arrives within the expedited lead time (regular slots 0..l_e and
        every expedited order): the stock an expedited order placed now joins."""
        slots = torch.arange(self.max_lead_time, device=state.pipeline.device)
        soon = (slots <= self.expedited_lead_time[..., None]).to(state.pipeline.dtype)
        return state.on_hand + (state.pipeline * soon).sum(-1) + state.expedited_pipeline.sum(-1)

    def step(self, state: DualSourcingState, action: torch.Tensor, demand: torch.Tensor):
        regular, expedited = action[..., 0].reshape(demand.shape), action[..., 1].reshape(demand.shape)
        regular_arrivals, pipeline = self.pipe.advance(state.pipeline, regular)
        expedited_arrivals, expedited_pipeline = self.expedited_pipe.advance(state.expedited_pipeline, expedited)
        arrivals = regular_arrivals + expedited_arrivals
        on_hand, sales, unmet = serve(state.on_hand + arrivals, demand, self.lost_sales)
        stock_cost = self.holding_cost * (on_hand if self.lost_sales else on_hand.clamp_min(0.0)) + self.shortage_cost * unmet
        cost = self.regular_cost * regular + self.expedited_cost * expedited + stock_cost
        info = {
            "arrivals": arrivals,
            "regular_arrivals": regular_arrivals,
            "expedited_arrivals": expedited_arrivals,
            "sales": sales,
            "unmet": unmet,
            "violation": (-action.detach()).clamp_min(0.0).sum(),
        }
        next_state = DualSourcingState(on_hand=on_hand, pipeline=pipeline, expedited_pipeline=expedited_pipeline)
        return next_state, cost, info
