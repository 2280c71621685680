"""The simulator against ground truth: conservation, closed forms, finite differences."""

import math

import pytest
import torch

from invrl.demand.data import DemandData
from invrl.demand.synthetic import sample_demand
from invrl.policies.heuristics import BaseStockPolicy, ConstantOrderPolicy
from invrl.rollout import InfeasibleActionError, rollout
from invrl.systems.single_location import SingleLocation


def make(lost_sales=True, lead_time=2, p=4.0):
    return SingleLocation(lead_time=lead_time, holding_cost=1.0, shortage_cost=p, lost_sales=lost_sales, demand_mean=5.0)


@pytest.mark.parametrize("lost_sales", [True, False])
@pytest.mark.parametrize("lead_time", [0, 1, 3])
def test_units_are_conserved_every_period(lost_sales, lead_time):
    system = make(lost_sales, lead_time)
    demand = sample_demand("poisson", 64, 40, seed=3)
    tr = rollout(system, BaseStockPolicy(5.0 * (lead_time + 1) + 2), demand, record=True)
    r = tr.record
    start = torch.cat([system.initial_state(64).on_hand[..., None], r["on_hand"][..., 1:]], dim=-1)
    end = torch.cat([r["on_hand"][..., 1:], tr.final_state.on_hand[..., None]], dim=-1)
    if lost_sales:
        # start + arrivals = end + sales, and every unit of demand is either sold or lost
        torch.testing.assert_close(start + r["arrivals"], end + r["sales"])
        torch.testing.assert_close(r["sales"] + r["unmet"], demand.demand)
    else:
        torch.testing.assert_close(start + r["arrivals"], end + demand.demand)
    # orders placed = arrivals + what is still in the pipeline
    in_transit0 = system.initial_state(64).pipeline.sum(-1)
    torch.testing.assert_close(in_transit0 + r["action"].sum(-1), r["arrivals"].sum(-1) + tr.final_state.pipeline.sum(-1))


def test_order_arrives_after_lead_time():
    system = SingleLocation(lead_time=3, holding_cost=1, shortage_cost=4, lost_sales=True, demand_mean=1.0, initial_on_hand=0.0)
    demand = DemandData(torch.zeros(1, 1, 8))

    class OneOrder(torch.nn.Module):
        def forward(self, obs):
            return torch.full_like(obs.state.on_hand, 7.0 if obs.period == 1 else 0.0)

    tr = rollout(system, OneOrder(), demand, record=True, state=None)
    arrivals = tr.record["arrivals"][0, 0]
    # initial pipeline delivers 1 per period for periods 0..2; the order placed at t=1 lands at t=4
    assert arrivals.tolist() == [1, 1, 1, 0, 7, 0, 0, 0]


def test_zero_lead_time_is_the_newsvendor():
    """L=0 with base-stock S: each period's cost is the newsvendor cost of S."""
    s, p = 7.0, 4.0
    system = make(lost_sales=True, lead_time=0, p=p)
    demand = sample_demand("poisson", 20000, 5, seed=1)
    cost = rollout(system, BaseStockPolicy(s), demand).mean_cost(1)
    k = torch.arange(0, 60, dtype=torch.float64)
    pmf = torch.exp(k * math.log(5.0) - 5.0 - torch.lgamma(k + 1))
    expected = float((pmf * ((s - k).clamp_min(0) + p * (k - s).clamp_min(0))).sum())
    assert abs(float(cost) - expected) < 0.03  # ~4 standard errors


def test_per_sample_parameters_match_separate_runs():
    demand = sample_demand("poisson", 6, 30, seed=2)
    mixed = SingleLocation(lead_time=torch.tensor([0, 1, 2, 0, 1, 2]), holding_cost=1.0,
                           shortage_cost=torch.tensor([4.0, 9, 19, 39, 4, 9]), lost_sales=True, demand_mean=5.0)
    policy = BaseStockPolicy(12.0)
    together = rollout(mixed, policy, demand).cost
    for i in range(6):
        alone = make(True, int(mixed.lead_time[i, 0]), float(mixed.shortage_cost[i, 0]))
        torch.testing.assert_close(together[i], rollout(alone, policy, demand.samples([i])).cost[0])


def test_pathwise_gradient_matches_finite_differences():
    """d(total cost)/d(order level) by autograd equals a central difference on continuous demand."""
    torch.set_default_dtype(torch.float64)
    try:
        demand = sample_demand("normal", 8, 25, seed=5, std=1.6)
        demand = DemandData(demand.demand.double())
        for lost_sales in (True, False):
            system = SingleLocation(lead_time=2, holding_cost=1.0, shortage_cost=9.0, lost_sales=lost_sales, demand_mean=5.0)
            system.holding_cost, system.shortage_cost = system.holding_cost.double(), system.shortage_cost.double()
            system.demand_mean, system.initial_on_hand = system.demand_mean.double(), system.initial_on_hand.double()
            theta = torch.tensor([14.3, 0.4], requires_grad=True)

            class Affine(torch.nn.Module):
                def forward(self, obs):  # a smooth policy: order = softplus(a - b * inventory position)
                    ip = obs.state.on_hand + obs.state.pipeline.sum(-1)
                    return torch.nn.functional.softplus(theta[0] - ip * (1 + theta[1]))

            def total(th):
                theta.data.copy_(th)
                return rollout(system, Affine(), demand).cost.sum()

            base = theta.detach().clone()
            loss = total(base)
            (grad,) = torch.autograd.grad(loss, theta)
            eps = 1e-6
            for i in range(2):
                step = torch.zeros(2, dtype=torch.float64)
                step[i] = eps
                fd = (total(base + step) - total(base - step)) / (2 * eps)
                assert abs(float(grad[i].detach()) - float(fd)) < 1e-5 * max(1.0, abs(float(fd)))
    finally:
        torch.set_default_dtype(torch.float32)


def test_negative_order_is_rejected():
    with pytest.raises(InfeasibleActionError, match="feasibility"):
        rollout(make(), ConstantOrderPolicy(-1.0), sample_demand("poisson", 4, 5, seed=0))
