"""Joint procurement and removal with returns against ground truth: conservation of units, finite
differences, the DP's policy simulated, its interval form, the ordinary optimum when removal is
worthless (a base-stock Markov chain computed here), the interval heuristic and HDPO near the DP."""

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
from invrl.exact.procurement_removal import procurement_removal_optimum
from invrl.families import family_of, optimum_of
from invrl.policies.interval_policy import IntervalPolicy
from invrl.policies.registry import HEURISTICS
from invrl.rollout import rollout
from invrl.settings import load_setting
from invrl.systems.procurement_removal import ProcurementRemoval, actions
from invrl.train.heuristic_search import HeuristicSearchConfig, fit_heuristic
from invrl.train.method import Problem

COSTS = dict(ordering_cost=1.0, salvage_value=0.5, holding_cost=1.0, shortage_cost=9.0)
DEMAND = truncated_pmf(stats.poisson(5.0).pmf(np.arange(60)))
RETURNS = truncated_pmf(stats.poisson(1.5).pmf(np.arange(60)))


def make(lead_time=1, lost_sales=False, **kwargs):
    return ProcurementRemoval(lead_time=lead_time, lost_sales=lost_sales, demand_mean=5.0, returns_mean=1.5,
                              **{**COSTS, **kwargs})


def poisson(samples, periods, seed):
    """Demand (column 0) and returns (column 1), as the family's demand law draws them."""
    return sample_demand("poisson", samples, periods, seed=seed, mean=[5.0, 1.5], n_locations=2)


def optimum(lead_time=1, lost_sales=False, **kwargs):
    return procurement_removal_optimum(DEMAND, RETURNS, lead_time, lost_sales=lost_sales, **{**COSTS, **kwargs})


class RandomActions(nn.Module):
    def forward(self, obs):
        gen = torch.Generator().manual_seed(obs.period)
        return 8 * torch.rand(obs.state.on_hand.shape[0], 2, generator=gen)


@pytest.mark.parametrize("lost_sales", [False, True])
def test_units_are_conserved(lost_sales):
    """ordered + returned + stock and pipeline at the start = sold + removed + stock and pipeline at the end
    + lost (lost sales) or - backlog change (backlog: net stock); never an order and a removal together;
    removals never exceed the stock."""
    system = make(lead_time=2, lost_sales=lost_sales)
    demand = poisson(32, 40, seed=3)
    trajectory = rollout(system, RandomActions(), demand, record=True)
    r, start, end = trajectory.record, system.initial_state(32), trajectory.final_state
    begin = start.on_hand + start.pipeline.sum(-1)
    finish = end.on_hand + end.pipeline.sum(-1)
    customers = demand.demand[:, :1]
    torch.testing.assert_close(r["returns"], demand.demand[:, 1:])
    torch.testing.assert_close(r["demand"], customers)
    used = r["sales"] + (r["unmet"] if lost_sales else 0.0)
    if lost_sales:
        torch.testing.assert_close(r["sales"] + r["unmet"], customers)
        assert (end.on_hand >= 0).all()
    torch.testing.assert_close(r["order"].sum(-1) + r["returns"].sum(-1) + begin,
                               (customers if not lost_sales else r["sales"]).sum(-1) + r["removed"].sum(-1) + finish)
    assert ((r["order"] > 0) & (r["removed"] > 0)).sum() == 0
    assert (r["removed"] > 0).any() and (r["order"] > 0).any()
    assert (used <= customers + 1e-5).all()
    stock_before = r["on_hand"] + r["arrivals"]
    assert (r["removed"] <= stock_before.clamp_min(0) + 1e-5).all()
    totals = rollout(system, RandomActions(), demand, totals_from=0).totals
    torch.testing.assert_close(totals["demand"], customers.sum(-1))  # fill rates count customer demand only


def test_one_period_by_hand():
    """Stock 10, 2 arriving, removal request 5 (order 1: net removal 4), demand 9, returns 3; backlog."""
    system = make(lead_time=1)
    state = system.initial_state(1)
    state.on_hand, state.pipeline = torch.tensor([[10.0]]), torch.tensor([[[2.0]]])
    nxt, cost, info = system.step(state, torch.tensor([[1.0, 5.0]]), torch.tensor([[9.0, 3.0]]))
    assert info["removed"].item() == 4 and info["order"].item() == 0
    assert nxt.on_hand.item() == 10 + 2 - 4 - 9 + 3 and nxt.pipeline.item() == 0
    assert cost.item() == pytest.approx(-0.5 * 4 + 1.0 * 2)
    # backorders filled by returns first: stock 1, demand 6, returns 2 -> 3 backordered
    state.on_hand, state.pipeline = torch.tensor([[1.0]]), torch.tensor([[[0.0]]])
    nxt, cost, info = system.step(state, torch.tensor([[0.0, 0.0]]), torch.tensor([[6.0, 2.0]]))
    assert nxt.on_hand.item() == -3 and info["unmet"].item() == 3 and cost.item() == pytest.approx(27.0)


@pytest.mark.parametrize("lost_sales", [False, True])
def test_pathwise_gradient_matches_finite_differences(lost_sales):
    """d(total cost)/d(each order and removal request) by autograd equals a central difference
    (continuous demand and returns, float64)."""
    raw = sample_demand("normal", 6, 20, seed=5, mean=[5.0, 1.5], std=[2.0, 1.0], n_locations=2).demand.double()
    demand = DemandData(raw)
    system = as_float64(make(lead_time=1, lost_sales=lost_sales))
    gen = torch.Generator().manual_seed(0)
    planned = (7 * torch.rand(20, 6, 2, generator=gen, dtype=torch.float64))
    grad = check_open_loop_gradient(system, demand, planned, 30, gen)
    assert grad[..., 1].abs().sum() > 0 and grad[..., 0].abs().sum() > 0


class DPPolicy(nn.Module):
    """The DP's optimal (order, removal) as a table lookup on the simulator's state."""

    def __init__(self, result):
        super().__init__()
        self.result = result

    def forward(self, obs):
        s = obs.state
        order, removal = self.result.action(s.on_hand[:, 0].numpy(), s.pipeline[:, 0].numpy())
        return actions(torch.as_tensor(order, dtype=torch.float32)[:, None],
                       torch.as_tensor(removal, dtype=torch.float32)[:, None])


@pytest.mark.parametrize("lead_time,lost_sales", [(1, False), (0, True), (2, False)])
def test_simulating_the_dp_policy_gives_the_dp_cost(lead_time, lost_sales):
    result = optimum(lead_time, lost_sales)
    trajectory = rollout(make(lead_time, lost_sales), DPPolicy(result), poisson(1000, 300, seed=11), round_actions=True,
                         totals_from=50)
    per_sample = trajectory.cost_per_sample(50).double()
    error = float(per_sample.std()) / math.sqrt(len(per_sample))
    assert abs(float(per_sample.mean()) - result.cost) < 4 * error
    assert error < 0.03
    assert float(trajectory.totals["removed"].sum()) > 0  # excess stock really arises and is removed


def _thresholds(result):
    """(a, b) if order = (a - y)^+ and removal = (y - b)^+ on every level the policy can reach (from
    min(a, b) - K_D up, K_D the largest demand; far below, the grid's clamped edge distorts the values
    of states it never visits), else None."""
    y, order, removal = result.levels, result.order, result.removal
    a = int(y[order == 0].min())
    b = int(y[removal > 0].min()) - 1
    keep = y >= min(a, b) - (len(DEMAND) - 1)
    assert keep.sum() >= 50
    y, order, removal = y[keep], order[keep], removal[keep]
    if np.array_equal(order, np.maximum(a - y, 0)) and np.array_equal(removal, np.maximum(y - b, 0)):
        return a, b
    return None


@pytest.mark.parametrize("lead_time,lost_sales,expected", [(0, False, (7, 8)), (0, True, (8, 9)), (1, False, (12, 11))])
def test_the_optimal_policy_has_two_thresholds(lead_time, lost_sales, expected):
    """Backlog and lost sales with L = 0: the interval policy, order up to a, remove down to b >= a.
    Backlog with L = 1: still two thresholds on y (on hand + arriving), but an order lands a period
    after a removal would, and they cross: b = a - 1."""
    assert _thresholds(optimum(lead_time, lost_sales)) == expected


def _base_stock_reference(level, lead_time, lost_sales, c=1.0, h=1.0, p=9.0, low=-80, high=120):
    """Average cost of order-up-to ``level`` with no removal: the stationary law of the level y before
    ordering (a Markov chain on a wide grid), y' = max(y, S) - D + R (backlog, L = 1) or
    (max(y, S) - D)^+ + R (lost sales, L = 0); the period costs c (S - y)^+ + h I^+ + p (I^- or lost)."""
    ys = np.arange(low, high + 1)
    d, r = np.arange(len(DEMAND)), np.arange(len(RETURNS))
    joint = DEMAND[:, None] * RETURNS[None, :]
    z = np.maximum(ys, level)  # the level after ordering: this period's stock (L = 0) or next period's (L = 1)
    move, stage = np.zeros((len(ys), len(ys))), c * np.maximum(level - ys, 0).astype(float)
    for i, zi in enumerate(z):
        now = zi if lead_time == 0 else ys[i]  # the stock demand meets this period
        left = np.maximum(now - d, 0) if lost_sales else now - d
        end = left[:, None] + r[None, :]
        short = np.maximum(d - now, 0)[:, None] + 0 * end if lost_sales else np.maximum(-end, 0)
        stage[i] += (joint * (h * np.maximum(end, 0) + p * short)).sum()
        following = end + (zi - ys[i] if lead_time == 1 else 0)  # L = 1: the order arrives next period
        np.add.at(move[i], np.clip(following - low, 0, len(ys) - 1).ravel(), joint.ravel())
    assert lead_time in (0, 1)  # L = 1 backlog: the level before ordering is the net inventory after arrivals
    pi = np.full(len(ys), 1.0 / len(ys))
    for _ in range(5000):
        pi = pi @ move
    return float(pi @ stage)


@pytest.mark.parametrize("lead_time,lost_sales", [(1, False), (0, True)])
def test_worthless_removal_gives_the_ordinary_optimum_with_returns(lead_time, lost_sales):
    """With s = -1000 the DP never removes, and its cost is that of the best base-stock policy with
    returns (optimal without removal: convex costs, no fixed cost), computed here from its Markov chain."""
    result = optimum(lead_time, lost_sales, salvage_value=-1000.0)
    assert result.removal.max() == 0
    reference = min(_base_stock_reference(s, lead_time, lost_sales) for s in range(4, 18))
    assert result.cost == pytest.approx(reference, abs=1e-5)
    assert optimum(lead_time, lost_sales).cost < reference - 0.01  # removing at s = 0.5 pays


def test_dp_refuses_intractable_state_spaces():
    with pytest.raises(IntractableError, match="too large"):
        optimum(lead_time=4)


def test_interval_heuristic_is_near_and_above_the_optimum():
    """Grid-searched interval levels (whole units) on the family's setting: never better than the DP
    beyond noise, within 1% of it."""
    system = make()
    best = optimum().cost
    search, dev = poisson(256, 150, 1), poisson(512, 150, 2)
    problem = Problem(system=system, setting={}, train=search, dev=dev, train_warmup=20, dev_warmup=20,
                      round_actions=True, search=lambda: (search, 20))
    fitted = fit_heuristic(problem, HEURISTICS["interval"], HeuristicSearchConfig())
    assert all(float(v) == round(float(v)) for v in fitted.parameters.values())
    per_sample = rollout(system, fitted.policy, poisson(1000, 300, 3), round_actions=True).cost_per_sample(50).double()
    mean, error = float(per_sample.mean()), float(per_sample.std()) / math.sqrt(len(per_sample))
    assert best - 4 * error <= mean < 1.01 * best, (fitted.parameters, mean, best)


def test_interval_levels_are_per_sample_tensors():
    system = make()
    demand = poisson(3, 30, seed=4)
    a, b = torch.tensor([[8.0], [10.0], [12.0]]), torch.tensor([[9.0], [12.0], [11.0]])
    together = rollout(system, IntervalPolicy(a, b), demand).cost
    for i in range(3):
        alone = rollout(system, IntervalPolicy(a[i, 0], b[i, 0]), demand.samples([i])).cost
        torch.testing.assert_close(together[i], alone[0])


def test_setting_validates_and_its_optimum_is_the_dp():
    setting = load_setting("procurement_removal")
    assert setting["round_actions"] is True and setting["returns"]["mean"] == 1.5
    found = optimum_of(setting)
    assert found["method"] == "dynamic_programming"
    assert found["optimal_cost"] == pytest.approx(optimum().cost, abs=1e-9)
    family = family_of(setting)
    system = family.build(setting, None)
    assert isinstance(system, ProcurementRemoval) and int(system.lead_time) == 1
    law = family.demand_law(setting)
    assert law["n_locations"] == 2 and law["mean"] == [5.0, 1.5]
    assert family.heuristics == ("interval",)
    with pytest.raises(ConfigError, match="salvage_value"):
        load_setting("procurement_removal", {"salvage_value": "high"})
    with pytest.raises(ConfigError, match="distribution"):
        family.demand_law({**setting, "returns": {"distribution": "uniform", "low": 0, "high": 3}})


def test_hdpo_trains_the_registered_mlp_near_the_optimum():
    from invrl.policies.registry import build_policy
    from invrl.systems.base import Observation
    from invrl.train.hdpo import HDPOConfig, train_hdpo

    system = make()
    torch.manual_seed(0)
    policy = build_policy("mlp", system)
    assert policy(Observation(system.initial_state(3), system, 0)).shape == (3, 1, 2)
    train, dev = poisson(512, 40, seed=1), poisson(1024, 100, seed=2)
    result = train_hdpo(system, policy, train, dev, config=HDPOConfig(max_steps=150, batch_size=256, eval_every=25),
                        warmup=10, dev_warmup=20, seed=0, round_actions=True, progress=False)
    assert result.best_dev_cost < 1.03 * optimum().cost, result.best_dev_cost
