"""Exact optima against published tables, closed forms and simulation."""

import math

import numpy as np
import pytest
import torch

from invrl.demand.data import DemandData
from invrl.demand.synthetic import sample_demand
from invrl.exact import (
    backlog_optimum_normal,
    backlog_optimum_poisson,
    backlog_optimum_truncated_normal,
    lost_sales_optimum,
    newsvendor_normal,
    newsvendor_poisson,
    optimum_for,
)
from invrl.policies.heuristics import BaseStockPolicy
from invrl.rollout import rollout
from invrl.systems.single_location import SingleLocation

# Zipkin (2008), Poisson(5), h = 1: optimal lost-sales cost by shortage cost p and lead time L = 1..4.
ZIPKIN = {
    4: [4.04, 4.40, 4.60, 4.73],
    9: [5.44, 6.09, 6.53, 6.84],
    19: [6.68, 7.66, 8.36, 8.89],
    39: [7.84, 9.11, 10.04, 10.79],
}


@pytest.mark.parametrize("p", sorted(ZIPKIN))
@pytest.mark.parametrize("lead_time", [1, 2, 3, 4])
def test_dp_reproduces_zipkin(p, lead_time):
    assert round(lost_sales_optimum(5.0, lead_time, p, 1.0).cost, 2) == ZIPKIN[p][lead_time - 1]


@pytest.mark.parametrize("p", [4, 19])
def test_zero_lead_time_is_the_newsvendor(p):
    assert lost_sales_optimum(5.0, 0, p).cost == pytest.approx(newsvendor_poisson(5.0, p).cost, abs=1e-9)
    # brute force over order levels
    k = np.arange(60)
    pmf = np.exp(k * np.log(5.0) - 5.0 - np.array([math.lgamma(i + 1) for i in k]))
    brute = min(float(((s - k).clip(0) + p * (k - s).clip(0)) @ pmf) for s in range(40))
    assert newsvendor_poisson(5.0, p).cost == pytest.approx(brute, abs=1e-9)


def test_optimal_orders_have_zipkins_structure():
    """Order falls as stock rises, by at most one unit per unit (Zipkin 2008, L-natural convexity)."""
    orders = lost_sales_optimum(5.0, 2, 9.0).orders  # [y, q1]
    dy = orders[:-1] - orders[1:]
    assert (dy >= 0).all() and (dy <= 1).all()


def test_dp_policy_simulated_matches_dp_cost():
    opt = lost_sales_optimum(5.0, 1, 4.0)
    system = SingleLocation(lead_time=1, holding_cost=1, shortage_cost=4, lost_sales=True, demand_mean=5.0)

    class Table(torch.nn.Module):
        def forward(self, obs):
            s = obs.state
            a = opt.order(s.on_hand[:, 0].numpy(), s.pipeline[:, 0].numpy())
            return torch.as_tensor(a, dtype=torch.float32)[:, None]

    demand = sample_demand("poisson", 2000, 300, seed=11)
    with torch.no_grad():
        per_sample = rollout(system, Table(), demand).cost_per_sample(50).double()
    se = per_sample.std().item() / math.sqrt(per_sample.numel())
    assert abs(per_sample.mean().item() - opt.cost) < 3 * se


def test_normal_newsvendor_closed_form_matches_integration():
    nv = newsvendor_normal(10.0, 2.0, 9.0, 1.0)
    x = np.linspace(-10, 30, 400001)
    dens = np.exp(-0.5 * ((x - 10) / 2) ** 2) / (2 * math.sqrt(2 * math.pi))
    cost = np.trapezoid((np.clip(nv.level - x, 0, None) + 9 * np.clip(x - nv.level, 0, None)) * dens, x)
    assert nv.cost == pytest.approx(cost, rel=1e-6)


def test_truncated_normal_optimum_equals_closed_form_when_truncation_vanishes():
    exact = backlog_optimum_truncated_normal(50.0, 1.6, 4, 9.0)
    closed = backlog_optimum_normal(50.0, 1.6, 4, 9.0)
    assert exact.cost == pytest.approx(closed.cost, rel=1e-3)
    assert exact.level == pytest.approx(closed.level, abs=0.02)


@pytest.mark.parametrize("lead_time,p", [(1, 4), (4, 39)])
def test_backlog_optimum_matches_simulation(lead_time, p):
    opt = backlog_optimum_truncated_normal(5.0, 1.6, lead_time, p)
    system = SingleLocation(lead_time=lead_time, holding_cost=1, shortage_cost=p, lost_sales=False, demand_mean=5.0)
    demand = sample_demand("normal", 4000, 200 + lead_time, seed=13, std=1.6)
    with torch.no_grad():
        per_sample = rollout(system, BaseStockPolicy(opt.level), DemandData(demand.demand)).cost_per_sample(20 + lead_time).double()
    se = per_sample.std().item() / math.sqrt(per_sample.numel())
    assert abs(per_sample.mean().item() - opt.cost) < 3 * se


def test_poisson_backlog_matches_brute_force():
    opt = backlog_optimum_poisson(5.0, 2, 9.0)
    k = np.arange(80)
    pmf = np.exp(k * np.log(15.0) - 15.0 - np.array([math.lgamma(i + 1) for i in k]))
    costs = [float(((s - k).clip(0) + 9 * (k - s).clip(0)) @ pmf) for s in range(60)]
    assert opt.cost == pytest.approx(min(costs), abs=1e-9) and opt.level == int(np.argmin(costs))


def test_optimum_for_dispatches_and_declines():
    base = {"system": "single_location", "lead_time": 1, "holding_cost": 1.0, "shortage_cost": 4.0}
    assert optimum_for({**base, "lost_sales": True, "demand": {"distribution": "poisson", "mean": 5.0}})["optimal_cost"] == pytest.approx(4.0407, abs=1e-4)
    assert optimum_for({**base, "lost_sales": True, "demand": {"distribution": "normal", "mean": 5.0, "std": 1.0}}) is None
    assert optimum_for({**base, "lost_sales": False, "demand": {"distribution": "normal", "mean": 5.0, "std": 1.6}})["method"] == "base_stock_closed_form"
