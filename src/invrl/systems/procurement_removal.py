"""One location that may order stock or remove (salvage, dispose of) it, with customer returns.

The action is the pair ``[B, N, 2]`` (``[B, 2]`` for one location): a requested order q >= 0
and a requested removal r >= 0. Only their net n = q - r is carried out, so a period either
orders or removes, never both: n^+ is ordered (cost c per unit, lead time L), n^- is removed
(salvage value s per unit, earned; s < 0 is a disposal cost), at most the units on hand. The
net is a difference of the two outputs, so the step stays differentiable almost everywhere in
both (a rule "remove only when q = 0" would cut the gradient of q). The heuristics
(``policies.interval_policy``) and the DP (``exact.procurement_removal``) use the same rule.
Negative requests count as violations; a removal beyond the stock is cut to the stock.

Events in period t:

1. the order n^+ joins the pipeline at slot L (L = 0: it arrives at once);
2. the units due at t arrive;
3. the removal, min(n^-, stock on hand after the arrivals), leaves;
4. demand D is served (``serve``): backlogged, or lost (``lost_sales``);
5. customer returns R re-enter stock, as good as new (under backlog they first fill backorders);
6. the period costs c n^+ - s (removed) + h I^+ + p (backorders I^- after the returns, or units
   lost) with I the stock at its end, after the returns.

Returns reach the system through the demand tensor: ``demand`` has ``2N`` columns, the first N
customer demand and the last N returns (the family's demand law draws them as two "locations"
of one ``sample_split`` call, see ``families.procurement_removal``). That needs no new field in
DemandData, no change of ``System.step`` and keeps returns on the same seeded, split-by-sample
streams as demand; policies never see them before acting (features would be observed). A
demand with only N columns means no returns. The info dict reports ``demand`` (customer demand
only), which ``rollout`` totals in place of the raw tensor, so fill rates stay right.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from invrl.systems.base import Pipeline, State, System, action_pair, as_param, serve


actions = action_pair  # actions(order, removal)


@dataclass
class ProcurementRemovalState(State):
    on_hand: torch.Tensor
    """Net inventory at the end of the previous period ``[B, N]``; negative means backorders."""
    pipeline: torch.Tensor
    """Orders due at the start of periods t, t+1, ... ``[B, N, max L]``."""


class ProcurementRemoval(System):
    def __init__(
        self,
        *,
        lead_time,
        ordering_cost,
        salvage_value,
        holding_cost,
        shortage_cost,
        demand_mean,
        returns_mean=0.0,
        lost_sales: bool = False,
        n_locations: int = 1,
        initial_on_hand=None,
    ):
        """The default start is one period of mean net demand (demand less returns, rounded to whole
        units so integer settings stay integral, at least a unit) on hand and in every pipeline
        slot the lead time uses."""
        self.n_locations = self.n_stores = n_locations
        self.lost_sales = bool(lost_sales)
        self.pipe = Pipeline(as_param(lead_time, n_locations, torch.long))
        self.ordering_cost = as_param(ordering_cost, n_locations)
        self.salvage_value = as_param(salvage_value, n_locations)
        self.holding_cost = as_param(holding_cost, n_locations)
        self.shortage_cost = as_param(shortage_cost, n_locations)
        self.demand_mean = as_param(demand_mean, n_locations)
        self.returns_mean = as_param(returns_mean, n_locations)
        net = self.start_level()
        self.initial_on_hand = net if initial_on_hand is None else as_param(initial_on_hand, n_locations)

    def start_level(self) -> torch.Tensor:
        return torch.round(self.demand_mean - self.returns_mean).clamp_min(1.0)

    per_sample = ("ordering_cost", "salvage_value", "holding_cost", "shortage_cost", "demand_mean", "returns_mean",
                  "initial_on_hand")

    def initial_state(self, batch: int) -> ProcurementRemovalState:
        shape = (batch, self.n_locations)
        net = self.start_level()
        in_transit = net[..., None] * self.pipe.slot[..., 1:].flip(-1).cumsum(-1).flip(-1)
        return ProcurementRemovalState(
            on_hand=self.initial_on_hand.expand(shape).clone(),
            pipeline=in_transit.expand(*shape, self.max_lead_time).clone(),
        )

    def inventory_position(self, state: ProcurementRemovalState) -> torch.Tensor:
        """Net inventory plus everything on order."""
        return state.on_hand + state.pipeline.sum(-1)

    def split_demand(self, demand: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(customer demand, returns) ``[B, N]`` each from the ``[B, N or 2N]`` demand of a period."""
        n = self.n_locations
        if demand.shape[-1] == n:
            return demand, torch.zeros_like(demand)
        return demand[..., :n], demand[..., n:]

    def step(self, state: ProcurementRemovalState, action: torch.Tensor, demand: torch.Tensor):
        customers, returns = self.split_demand(demand)
        shape = customers.shape
        net = action[..., 0].reshape(shape) - action[..., 1].reshape(shape)
        order = net.clamp_min(0.0)
        arrivals, pipeline = self.pipe.advance(state.pipeline, order)
        stock = state.on_hand + arrivals
        removed = torch.minimum((-net).clamp_min(0.0), stock.clamp_min(0.0))
        left, sales, unmet = serve(stock - removed, customers, self.lost_sales)
        end = left + returns
        short = unmet if self.lost_sales else (-end).clamp_min(0.0)
        cost = (self.ordering_cost * order - self.salvage_value * removed + self.holding_cost * end.clamp_min(0.0)
                + self.shortage_cost * short)
        info = {
            "order": order,
            "removed": removed,
            "arrivals": arrivals,
            "returns": returns,
            "demand": customers,
            "sales": sales,
            "unmet": short,
            "violation": (-action.detach()).clamp_min(0.0).sum(),
        }
        return ProcurementRemovalState(on_hand=end, pipeline=pipeline), cost, info
