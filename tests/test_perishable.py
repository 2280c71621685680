"""Perishable inventory against ground truth: De Moor et al.'s optimal policy tables, Temizöz et
al.'s optimal costs, conservation of units, finite differences, the DP's policy simulated,
heuristics bounded by the optimum."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from open_loop import as_float64, check_open_loop_gradient
from scipy import stats
from torch import nn

from invrl.demand.data import DemandData
from invrl.demand.synthetic import sample_demand
from invrl.errors import ConfigError, IntractableError
from invrl.exact.dual_sourcing import truncated_pmf
from invrl.exact.perishable import gamma_pmf, perishable_optimum
from invrl.families import family_of, optimum_of
from invrl.policies.perishable_base_stock import PerishableBaseStockPolicy
from invrl.policies.registry import HEURISTICS
from invrl.rollout import rollout
from invrl.settings import load_setting, resolve_setting
from invrl.systems.perishable import Perishable
from invrl.train.heuristic_search import HeuristicSearchConfig, fit_heuristic
from invrl.train.method import Problem

# De Moor, Gijsbrechts and Boute (2022): m = 2, L = 1, Gamma(4, CoV 0.5) demand rounded, c = 3, p = 5,
# h = 1, w = 7, orders 0..10, discount 0.99. Optimal order by newest batch (rows, 8 down to 0) and
# older batch (columns, 0 to 8); LIFO depends on the newest batch only.
DE_MOOR_FIFO = np.array([
    [1, 0, 0, 0, 0, 0, 0, 0, 0],
    [1, 1, 0, 0, 0, 0, 0, 0, 0],
    [2, 1, 1, 0, 0, 0, 0, 0, 0],
    [2, 2, 1, 1, 0, 0, 0, 0, 0],
    [3, 2, 2, 1, 1, 1, 1, 0, 0],
    [3, 3, 2, 2, 1, 1, 1, 1, 1],
    [4, 3, 3, 3, 2, 2, 2, 2, 2],
    [4, 4, 3, 3, 3, 3, 3, 3, 3],
    [4, 4, 4, 4, 4, 4, 4, 4, 4],
])[::-1]  # now row = newest batch 0..8
DE_MOOR_LIFO = np.repeat(np.array([3, 3, 3, 2, 1, 0, 0, 0, 0])[:, None], 9, axis=1)
DE_MOOR = dict(ordering_cost=3.0, holding_cost=1.0, shortage_cost=5.0, outdating_cost=7.0, max_order=10)
GAMMA = gamma_pmf(4.0, 0.5)

# Temizöz et al.'s testbed: Poisson(4) demand, lost-sale and outdating costs 100, optimal average cost.
TEMIZOZ = [(3, 0, "fifo", 13.210), (3, 0, "lifo", 50.248), (4, 0, "fifo", 3.689), (3, 1, "fifo", 23.258),
           (3, 1, "lifo", 75.847)]
POISSON = truncated_pmf(stats.poisson(4.0).pmf(np.arange(40)))


def make(shelf_life=2, lead_time=1, issuing="fifo", **kwargs):
    params = {**DE_MOOR, "demand_mean": 4.0, **kwargs}
    return Perishable(shelf_life=shelf_life, lead_time=lead_time, issuing=issuing, **params)


def gamma_demand(samples, periods, seed):
    return sample_demand("gamma", samples, periods, seed=seed, mean=4.0, cv=0.5)


@pytest.mark.parametrize("issuing,table", [("fifo", DE_MOOR_FIFO), ("lifo", DE_MOOR_LIFO)])
def test_dp_reproduces_de_moor_policy_tables(issuing, table):
    """Cell by cell: "newest batch" = the order arriving now (p_0), "older" = stock with one period left."""
    result = perishable_optimum(GAMMA, 2, 1, issuing=issuing, discount=0.99, **DE_MOOR)
    np.testing.assert_array_equal(result.order[:9, :9].T, table)  # order[older, newest]


@pytest.mark.parametrize("shelf_life,lead_time,issuing,published", TEMIZOZ)
def test_dp_reproduces_temizoz_optima(shelf_life, lead_time, issuing, published):
    result = perishable_optimum(POISSON, shelf_life, lead_time, issuing=issuing, shortage_cost=100.0,
                                outdating_cost=100.0, max_order=14, tol=1e-6)
    assert result.cost == pytest.approx(published, abs=0.002)
    assert result.order.max() < 14  # the order cap does not bind


def test_dp_refuses_intractable_state_spaces():
    with pytest.raises(IntractableError, match="too large"):
        perishable_optimum(POISSON, 5, 3, max_order=20)


def test_gamma_sampler_matches_the_dp_pmf():
    d = gamma_demand(4000, 50, seed=0).demand.double()
    assert (d == d.round()).all() and d.min() >= 0
    freq = torch.bincount(d.flatten().long(), minlength=len(GAMMA))[: len(GAMMA)].double() / d.numel()
    np.testing.assert_allclose(freq[:12].numpy(), GAMMA[:12], atol=0.004)


class RandomOrders(nn.Module):
    def forward(self, obs):
        gen = torch.Generator().manual_seed(obs.period)
        return 8 * torch.rand(obs.state.stock.shape[:1] + (1,), generator=gen)[:, 0]


@pytest.mark.parametrize("issuing,share", [("fifo", None), ("lifo", None), ("fifo", 0.3)])
def test_units_are_conserved(issuing, share):
    """Units ordered + starting stock and pipeline = sold + expired + stock and pipeline at the end;
    demand = sold + lost; nothing goes negative."""
    system = make(shelf_life=3, lead_time=2, issuing=issuing, fifo_share=share, max_order=6.0)
    demand = gamma_demand(32, 40, seed=3)
    trajectory = rollout(system, RandomOrders(), demand, record=True)
    r, start, end = trajectory.record, system.initial_state(32), trajectory.final_state
    assert float(r["order"].max()) <= 6.0
    begin = start.stock.sum(-1) + start.pipeline.sum(-1)
    finish = end.stock.sum(-1) + end.pipeline.sum(-1)
    torch.testing.assert_close(r["order"].sum(-1) + begin, r["sales"].sum(-1) + r["expired"].sum(-1) + finish)
    torch.testing.assert_close(r["sales"] + r["unmet"], demand.demand)
    assert (r["unmet"] >= -1e-6).all() and (end.stock >= -1e-6).all() and (r["expired"] >= 0).all()


def test_issuing_order_fifo_lifo_and_mixed():
    """One period by hand: stock (2 old, 3 mid), 4 arriving fresh, demand 6."""
    state_stock = torch.tensor([[[2.0, 3.0, 0.0]]])
    for issuing, share, left in [("fifo", None, [0, 0, 3]), ("lifo", None, [2, 1, 0]), ("fifo", 0.5, [0, 2, 1])]:
        system = make(shelf_life=3, lead_time=0, issuing=issuing, fifo_share=share)
        state = system.initial_state(1)
        state.stock = state_stock.clone()
        nxt, cost, info = system.step(state, torch.tensor([[4.0]]), torch.tensor([[6.0]]))
        assert info["expired"].item() == left[0]
        assert nxt.stock[0, 0].tolist() == [left[1], left[2], 0.0]
        expected = 3 * 4 + 1 * (left[1] + left[2]) + 7 * left[0]
        assert cost.item() == pytest.approx(expected)


@pytest.mark.parametrize("issuing,share", [("fifo", None), ("lifo", None), ("fifo", 0.4)])
def test_pathwise_gradient_matches_finite_differences(issuing, share):
    """d(total cost)/d(each order) by autograd equals a central difference (continuous demand, float64)."""
    demand = DemandData(sample_demand("normal", 6, 20, seed=5, mean=4.0, std=2.0).demand.double())
    system = as_float64(make(shelf_life=3, lead_time=1, issuing=issuing, fifo_share=share, max_order=1e9))
    gen = torch.Generator().manual_seed(0)
    planned = (8 * torch.rand(20, 6, 1, generator=gen, dtype=torch.float64))
    grad = check_open_loop_gradient(system, demand, planned, 20, gen)
    assert grad.abs().sum() > 0


class DPPolicy(nn.Module):
    """The DP's optimal orders as a table lookup on the simulator's state."""

    def __init__(self, optimum):
        super().__init__()
        self.optimum = optimum

    def forward(self, obs):
        s = obs.state
        orders = self.optimum.orders(s.stock[:, 0].numpy(), s.pipeline[:, 0].numpy())
        return torch.as_tensor(orders, dtype=torch.float32)[:, None]


@pytest.mark.parametrize("issuing", ["fifo", "lifo"])
def test_simulating_the_dp_policy_gives_the_dp_cost(issuing):
    """De Moor's instance, average cost: the simulator and the solver share their timing."""
    optimum = perishable_optimum(GAMMA, 2, 1, issuing=issuing, **DE_MOOR)
    per_sample = rollout(make(issuing=issuing), DPPolicy(optimum), gamma_demand(1000, 400, seed=11),
                         round_actions=True).cost_per_sample(50).double()
    error = float(per_sample.std()) / math.sqrt(len(per_sample))
    assert abs(float(per_sample.mean()) - optimum.cost) < 4 * error
    assert error < 0.03


def test_heuristics_are_bounded_by_the_optimum():
    """Grid-searched heuristics never beat the DP (beyond noise) on common test paths; whole units."""
    system = make(shelf_life=3, lead_time=1, ordering_cost=0.0, holding_cost=0.0, shortage_cost=100.0,
                  outdating_cost=100.0, max_order=14, demand_mean=4.0)
    optimum = perishable_optimum(POISSON, 3, 1, shortage_cost=100.0, outdating_cost=100.0, max_order=14).cost

    def poisson(n, t, seed):
        return sample_demand("poisson", n, t, seed=seed, mean=4.0)

    search, dev = poisson(256, 150, 1), poisson(512, 150, 2)
    problem = Problem(system=system, setting={}, train=search, dev=dev, train_warmup=20, dev_warmup=20,
                      round_actions=True, search=lambda: (search, 20))
    test = poisson(1000, 400, 3)
    costs = {}
    for name in family_of({"system": "perishable"}).heuristics:
        fitted = fit_heuristic(problem, HEURISTICS[name], HeuristicSearchConfig())
        assert all(float(v) == round(float(v)) for v in fitted.parameters.values())
        per_sample = rollout(system, fitted.policy, test, round_actions=True).cost_per_sample(50).double()
        mean, error = float(per_sample.mean()), float(per_sample.std()) / math.sqrt(len(per_sample))
        assert mean >= optimum - 4 * error, name
        costs[name] = mean
    assert costs["sellable_base_stock"] <= costs["perishable_base_stock"] + 0.1  # counting expiring units hurts
    assert costs["perishable_base_stock"] <= costs["perishable_constant_order"]


@pytest.mark.parametrize("issuing,expected", [("fifo", 5.0), ("lifo", 3.0)])
def test_sellable_position_projects_with_mean_demand(issuing, expected):
    """m = 3, L = 1, stock (2 old, 3 mid), 4 due now, mean demand 4: after one period FIFO leaves
    (1 with one period left, 4 with two), LIFO (3 with one); the old units of LIFO expire."""
    system = make(shelf_life=3, lead_time=1, issuing=issuing)
    state = system.initial_state(1)
    state.stock, state.pipeline = torch.tensor([[[2.0, 3.0, 0.0]]]), torch.tensor([[[4.0]]])
    assert system.sellable_position(state).item() == expected
    assert system.inventory_position(state).item() == 9.0


def test_base_stock_levels_are_per_sample_tensors():
    system = make(shelf_life=3, lead_time=1)
    demand = gamma_demand(3, 30, seed=4)
    together = rollout(system, PerishableBaseStockPolicy(torch.tensor([[6.0], [8.0], [10.0]])), demand).cost
    for i, level in enumerate([6.0, 8.0, 10.0]):
        alone = rollout(system, PerishableBaseStockPolicy(level), demand.samples([i])).cost
        torch.testing.assert_close(together[i], alone[0])


def test_setting_validates_and_its_optimum_is_the_dp():
    setting = load_setting("perishable")
    assert setting["round_actions"] is True and setting["demand"]["distribution"] == "gamma"
    optimum = optimum_of(setting)
    assert optimum["method"] == "dynamic_programming"
    assert optimum["optimal_cost"] == pytest.approx(perishable_optimum(GAMMA, 2, 1, **DE_MOOR).cost, abs=1e-9)
    system = family_of(setting).build(setting, None)
    assert isinstance(system, Perishable) and system.shelf_life == 2 and int(system.lead_time) == 1
    assert optimum_of({**setting, "fifo_share": 0.5}) is None  # no DP for mixed issuing
    with pytest.raises(ConfigError, match="issuing"):
        load_setting("perishable", {"issuing": "random"})
    with pytest.raises(ConfigError, match="cv"):
        resolve_setting({**setting, "demand": {"distribution": "gamma", "mean": 4.0}}, "test")  # no cv


def test_hdpo_trains_the_registered_mlp_near_the_optimum():
    """The vanilla MLP on the age profile, trained by HDPO, against the DP on De Moor's FIFO instance."""
    from invrl.policies.registry import build_policy
    from invrl.systems.base import Observation
    from invrl.train.hdpo import HDPOConfig, train_hdpo

    system = make()
    torch.manual_seed(0)
    policy = build_policy("mlp", system)
    assert policy(Observation(system.initial_state(3), system, 0)).shape == (3, 1)
    train, dev = gamma_demand(512, 40, seed=1), gamma_demand(1024, 100, seed=2)
    result = train_hdpo(system, policy, train, dev, config=HDPOConfig(max_steps=150, batch_size=256, eval_every=25),
                        warmup=10, dev_warmup=20, seed=0, round_actions=True, progress=False)
    optimum = perishable_optimum(GAMMA, 2, 1, issuing="fifo", **DE_MOOR).cost
    assert result.best_dev_cost < 1.01 * optimum  # 14.956 against 14.954 (dev paths, rounded orders)
