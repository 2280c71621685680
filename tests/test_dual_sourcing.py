"""Dual sourcing against ground truth: published DP optima, conservation, timing, finite
differences, the DP's policy simulated, heuristics bounded by the optimum."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from open_loop import as_float64, check_open_loop_gradient
from torch import nn

from invrl.demand.data import DemandData
from invrl.demand.synthetic import demand_mean, sample_demand
from invrl.errors import ConfigError
from invrl.exact.dual_sourcing import dual_sourcing_optimum, uniform_pmf
from invrl.families import family_of, optimum_of
from invrl.policies.dual_index import CappedDualIndexPolicy, DualIndexPolicy
from invrl.policies.registry import HEURISTICS, build_policy
from invrl.rollout import rollout
from invrl.settings import load_setting, resolve_setting
from invrl.systems.base import Observation
from invrl.systems.dual_sourcing import DualSourcing, orders
from invrl.train.hdpo import HDPOConfig, train_hdpo
from invrl.train.heuristic_search import HeuristicSearchConfig, fit_heuristic
from invrl.train.method import Problem

# Böttcher, Asikis and Fragkos (2023), Table 1: uniform {0..4} demand, h = 5, b = 495, c_r = 0, l_e = 0;
# optimal average cost by regular lead time and expedited cost c_e = 5, 10, 20 (their DP overstates by ~0.005).
PUBLISHED = {
    2: [16.772, 19.735, 23.073],
    3: [16.88, 20.344, 24.339],
    4: [16.90, 20.62, 25.044],
}
PMF = uniform_pmf(0, 4)


def make(regular_lead_time=2, expedited_lead_time=0, expedited_cost=20.0, lost_sales=False, **kwargs):
    return DualSourcing(regular_lead_time=regular_lead_time, expedited_lead_time=expedited_lead_time, regular_cost=0.0,
                        expedited_cost=expedited_cost, holding_cost=5.0, shortage_cost=495.0, lost_sales=lost_sales,
                        demand_mean=2.0, **kwargs)


def uniform(samples, periods, seed):
    return sample_demand("uniform", samples, periods, seed=seed, low=0, high=4)


@pytest.mark.parametrize("lead_time", sorted(PUBLISHED))
@pytest.mark.parametrize("column,expedited_cost", [(0, 5.0), (1, 10.0), (2, 20.0)])
def test_dp_reproduces_the_published_optima(lead_time, column, expedited_cost):
    result = dual_sourcing_optimum(PMF, lead_time, expedited_cost, 0.0, 5.0, 495.0)
    assert result.cost == pytest.approx(PUBLISHED[lead_time][column], abs=0.02)
    assert result.cost <= PUBLISHED[lead_time][column] + 1e-3  # theirs overstates, never understates


def test_dp_truncation_does_not_bind():
    """Wider position and order ranges give the same cost and the same policy inside the old range."""
    tight = dual_sourcing_optimum(PMF, 3, 10.0, tol=1e-10)
    wide = dual_sourcing_optimum(PMF, 3, 10.0, tol=1e-10, min_position=-10, max_position=30, max_order=12)
    assert wide.cost == pytest.approx(tight.cost, abs=1e-7)
    shift = tight.min_position - wide.min_position
    inner = wide.expedite[shift: shift + tight.expedite.shape[0], : tight.max_order + 1, : tight.max_order + 1]
    assert (inner == tight.expedite).all()


def _brute_force(pmf, lead, ce, cr, h, b, low, high, top, iterations=3000):
    """Relative value iteration over every (expedited, regular) order pair, l_r = 1 or 2, with the
    solver's clamping: an independent check of its split of the two decisions."""
    ys = np.arange(low, high + 1)
    pipes = np.arange(top + 1) if lead == 2 else np.zeros(1, dtype=int)
    value = np.zeros((len(ys), len(pipes)))
    for _ in range(iterations):
        new = np.full_like(value, np.inf)
        for i, y in enumerate(ys):
            for j, p in enumerate(pipes):
                for up in ys[i:]:  # post-expedite position y' >= y
                    for q in range(top + 1):
                        x = min(up + (p if lead == 2 else q), high)
                        cost = ce * (up - y) + cr * q
                        for d, prob in enumerate(pmf):
                            nxt = max(x - d, low) - low
                            cost += prob * (h * max(up - d, 0) + b * max(d - up, 0) + value[nxt, q if lead == 2 else 0])
                        new[i, j] = min(new[i, j], cost)
        diff = new - value
        value = new - new[0, 0]
    return 0.5 * (diff.min() + diff.max())


@pytest.mark.parametrize("lead", [1, 2])
def test_dp_matches_a_brute_force_over_order_pairs(lead):
    pmf = uniform_pmf(0, 2)
    kwargs = dict(min_position=-2, max_position=6, max_order=3)
    fast = dual_sourcing_optimum(pmf, lead, 7.0, 1.0, 2.0, 30.0, tol=1e-10, **kwargs)
    assert fast.cost == pytest.approx(_brute_force(pmf, lead, 7.0, 1.0, 2.0, 30.0, -2, 6, 3, iterations=200), abs=1e-6)


def test_dp_expedites_only_below_a_level_and_orders_regular_at_most_the_max_demand():
    """Structure of the optimum at l_r = 2, c_e = 20: expedite up to 4 whenever y < 4, and regular orders
    fall as the pipeline grows (Veeraraghavan and Scheller-Wolf's dual-index form near the bottom)."""
    opt = dual_sourcing_optimum(PMF, 2, 20.0)
    y = np.arange(opt.expedite.shape[0]) + opt.min_position
    assert (opt.expedite == np.clip(4 - y, 0, None)[:, None]).all()
    assert opt.regular.max() <= 4
    assert (np.diff(opt.regular.astype(int), axis=1) <= 0).all()


def test_uniform_demand_law():
    d = uniform(4000, 50, seed=1).demand
    assert d.min() == 0 and d.max() == 4 and torch.equal(d, d.round())
    counts = torch.bincount(d.flatten().long(), minlength=5).double() / d.numel()
    assert torch.allclose(counts, torch.full((5,), 0.2, dtype=torch.float64), atol=0.004)
    assert demand_mean({"distribution": "uniform", "low": 0, "high": 4}) == 2.0
    with pytest.raises(ConfigError, match="low"):
        resolve_setting({**load_setting("dual_sourcing"), "demand": {"distribution": "uniform", "high": 4}}, "test")


def test_orders_arrive_after_their_lead_times():
    """An expedited order with l_e = 0 serves this period's demand; a regular one arrives l_r periods later."""
    demand = DemandData(torch.zeros(1, 1, 6))

    class Orders(nn.Module):
        def forward(self, obs):
            regular = 7.0 if obs.period == 1 else 0.0
            expedited = 3.0 if obs.period == 2 else 0.0
            return torch.tensor([[regular, expedited]])

    for expedited_lead_time, expected_arrivals in [(0, [0, 0, 3, 7, 0, 0]), (1, [0, 0, 0, 10, 0, 0])]:
        system = make(regular_lead_time=2, expedited_lead_time=expedited_lead_time, initial_on_hand=0.0)
        system.demand_mean = torch.zeros(1, 1)  # nothing in transit at the start
        r = rollout(system, Orders(), demand, record=True).record
        assert r["arrivals"][0, 0].tolist() == expected_arrivals


@pytest.mark.parametrize("lost_sales", [False, True])
@pytest.mark.parametrize("expedited_lead_time", [0, 1])
def test_units_are_conserved(lost_sales, expedited_lead_time):
    """Units ordered by both modes plus the starting stock and pipeline = stock on hand + in transit +
    sold + (backlog: the change in backorders) at the end, summed over the rollout."""
    system = make(regular_lead_time=3, expedited_lead_time=expedited_lead_time, lost_sales=lost_sales)
    demand = uniform(64, 40, seed=3)
    policy = CappedDualIndexPolicy(expedite_level=3.0, regular_level=9.0, cap=3.0)
    trajectory = rollout(system, policy, demand, record=True)
    r, start, end = trajectory.record, system.initial_state(64), trajectory.final_state
    ordered = r["action"].sum(-1)  # [B, 2]: (regular, expedited) over the rollout
    regular_in_transit = end.pipeline.sum(-1)[:, 0] - start.pipeline.sum(-1)[:, 0]
    expedited_in_transit = end.expedited_pipeline.sum(-1)[:, 0] - start.expedited_pipeline.sum(-1)[:, 0]
    torch.testing.assert_close(ordered[:, 0], r["regular_arrivals"].sum(-1)[:, 0] + regular_in_transit)
    torch.testing.assert_close(ordered[:, 1], r["expedited_arrivals"].sum(-1)[:, 0] + expedited_in_transit)
    on_hand_change = end.on_hand.clamp_min(0) - start.on_hand.clamp_min(0)
    backlog_change = (-end.on_hand).clamp_min(0) - (-start.on_hand).clamp_min(0)
    in_transit = (regular_in_transit + expedited_in_transit)[:, None]
    if lost_sales:
        sold = r["sales"].sum(-1)
        torch.testing.assert_close(sold + r["unmet"].sum(-1), demand.demand.sum(-1))
        assert (end.on_hand >= 0).all() and (backlog_change == 0).all()
    else:
        # every unit of demand is sold now, or later out of a backorder: sold = demand - backlog change
        sold = demand.demand.sum(-1) - backlog_change
    torch.testing.assert_close(ordered.sum(-1)[:, None], on_hand_change + in_transit + sold)


@pytest.mark.parametrize("lost_sales,expedited_lead_time", [(False, 0), (True, 0), (False, 1)])
def test_pathwise_gradient_of_the_cost_wrt_orders_matches_finite_differences(lost_sales, expedited_lead_time):
    """d(total cost)/d(each order) by autograd equals a central difference (continuous demand, float64)."""
    demand = DemandData(sample_demand("normal", 6, 20, seed=5, mean=2.0, std=1.5).demand.double())
    system = as_float64(make(regular_lead_time=2, expedited_lead_time=expedited_lead_time, lost_sales=lost_sales))
    gen = torch.Generator().manual_seed(0)
    planned = (3 * torch.rand(20, 6, 2, generator=gen, dtype=torch.float64))
    grad = check_open_loop_gradient(system, demand, planned, 16, gen)
    assert grad.abs().sum() > 0


def test_pathwise_gradient_wrt_policy_levels_matches_finite_differences():
    """A smooth dual-index policy (softplus orders): d(total cost)/d(levels) through the feedback loop."""
    demand = DemandData(sample_demand("normal", 8, 25, seed=6, mean=2.0, std=1.5).demand.double())
    system = as_float64(make(regular_lead_time=3))
    levels = torch.tensor([3.7, 9.2], dtype=torch.float64, requires_grad=True)

    class Smooth(nn.Module):
        def forward(self, obs):
            s = obs.system
            expedited = nn.functional.softplus(levels[0] - s.expedited_position(obs.state))
            regular = nn.functional.softplus(levels[1] - s.inventory_position(obs.state) - expedited)
            return orders(regular, expedited)

    def total(values):
        with torch.no_grad():
            levels.copy_(values)
        return rollout(system, Smooth(), demand).cost.sum()

    base = levels.detach().clone()
    (grad,) = torch.autograd.grad(total(base), levels)
    for i in range(2):
        step = torch.zeros(2, dtype=torch.float64)
        step[i] = 1e-6
        with torch.no_grad():
            fd = (total(base + step) - total(base - step)) / 2e-6
        assert float(grad[i]) == pytest.approx(float(fd), abs=1e-5 * max(1.0, abs(float(fd))))


class DPPolicy(nn.Module):
    """The DP's optimal orders as a table lookup on the simulator's state (whole units)."""

    def __init__(self, optimum):
        super().__init__()
        self.register_buffer("regular", torch.as_tensor(optimum.regular, dtype=torch.float32).flatten())
        self.register_buffer("expedite", torch.as_tensor(optimum.expedite, dtype=torch.float32).flatten())
        shape = optimum.expedite.shape
        self.shape, self.low = shape, optimum.min_position
        self.strides = [int(np.prod(shape[k + 1:])) for k in range(len(shape))]

    def forward(self, obs):
        state = obs.state
        y = state.on_hand[:, 0] + state.pipeline[:, 0, 0]
        index = (y - self.low).clamp(0, self.shape[0] - 1).long() * self.strides[0]
        for k in range(1, len(self.shape)):
            index = index + state.pipeline[:, 0, k].clamp(0, self.shape[k] - 1).long() * self.strides[k]
        return torch.stack([self.regular[index], self.expedite[index]], dim=-1)


def test_simulating_the_dp_policy_gives_the_dp_cost():
    """The DP's policy in the simulator costs the DP's optimum (within 4 standard errors): the
    simulator and the solver share their timing convention."""
    optimum = dual_sourcing_optimum(PMF, 3, 10.0)
    demand = uniform(2000, 600, seed=11)
    per_sample = rollout(make(regular_lead_time=3, expedited_cost=10.0), DPPolicy(optimum), demand,
                         round_actions=True).cost_per_sample(100).double()
    error = float(per_sample.std()) / math.sqrt(len(per_sample))
    assert abs(float(per_sample.mean()) - optimum.cost) < 4 * error
    assert error < 0.02


def _search_problem(system):
    search, dev = uniform(512, 220, seed=1), uniform(1024, 220, seed=2)
    return Problem(system=system, setting={}, train=search, dev=dev, train_warmup=20, dev_warmup=20,
                   round_actions=True, search=lambda: (search, 20))


def test_heuristics_are_bounded_by_the_optimum_and_capped_dual_index_is_near_it():
    """Grid-searched heuristics never beat the DP (beyond noise), on common test paths; the capped
    dual index gets within 0.5% of it (Sun and Van Mieghem 2019) at l_r = 2, c_e = 20."""
    system = make(regular_lead_time=2, expedited_cost=20.0)
    optimum = dual_sourcing_optimum(PMF, 2, 20.0).cost
    problem = _search_problem(system)
    test = uniform(2000, 600, seed=3)
    costs = {}
    for name in family_of({"system": "dual_sourcing"}).heuristics:
        fitted = fit_heuristic(problem, HEURISTICS[name], HeuristicSearchConfig())
        assert all(float(v) == round(float(v)) for v in fitted.parameters.values())  # whole units
        per_sample = rollout(system, fitted.policy, test, round_actions=True).cost_per_sample(100).double()
        mean, error = float(per_sample.mean()), float(per_sample.std()) / math.sqrt(len(per_sample))
        assert mean >= optimum - 4 * error, name
        costs[name] = mean
    assert costs["capped_dual_index"] <= 1.005 * optimum
    assert costs["capped_dual_index"] <= costs["dual_index"] + 0.02  # the cap only adds freedom
    assert costs["dual_index"] <= costs["tailored_base_surge"]


def test_dual_index_levels_are_per_sample_tensors():
    """One rollout with a level per sample equals separate rollouts (how the grid search vectorises)."""
    system = make(regular_lead_time=2)
    demand = uniform(3, 30, seed=4)
    together = rollout(system.select(torch.arange(3)), DualIndexPolicy(expedite_level=torch.tensor([[3.0], [4.0], [5.0]]),
                                                                         regular_level=torch.tensor([[8.0], [9.0], [10.0]])),
                       demand).cost
    for i, (ze, zr) in enumerate([(3.0, 8.0), (4.0, 9.0), (5.0, 10.0)]):
        alone = rollout(system, DualIndexPolicy(expedite_level=ze, regular_level=zr), demand.samples([i])).cost
        torch.testing.assert_close(together[i], alone[0])


def test_setting_validates_and_its_optimum_is_the_dp():
    setting = load_setting("dual_sourcing")
    assert setting["lost_sales"] is False and setting["round_actions"] is True
    optimum = optimum_of(setting)
    assert optimum["method"] == "dynamic_programming"
    assert optimum["optimal_cost"] == pytest.approx(PUBLISHED[2][2], abs=0.02)
    assert optimum["optimal_cost"] == pytest.approx(dual_sourcing_optimum(PMF, 2, 20.0).cost, abs=1e-9)
    system = family_of(setting).build(setting, None)
    assert isinstance(system, DualSourcing) and family_of(setting).horizon_extension(system) == 2
    assert optimum_of({**setting, "expedited_lead_time": 1}) is None  # no DP for l_e >= 1
    assert optimum_of({**setting, "lost_sales": True}) is None
    with pytest.raises(ConfigError, match="expedited_cost"):
        load_setting("dual_sourcing", {"expedited_cost": "dear"})


def test_hdpo_trains_a_policy_through_the_simulator():
    system = make(regular_lead_time=2, expedited_cost=20.0)
    torch.manual_seed(0)
    policy = build_policy("mlp", system)  # the registered architecture: both pipelines in, both orders out
    assert policy(Observation(system.initial_state(3), system, 0)).shape == (3, 1, 2)
    train, dev = uniform(256, 50, seed=1), uniform(512, 80, seed=2)
    before = float(rollout(system, policy, dev).mean_cost(20).detach())
    result = train_hdpo(system, policy, train, dev, config=HDPOConfig(max_steps=150, batch_size=128, eval_every=25),
                        warmup=12, dev_warmup=20, seed=0, progress=False)
    optimum = dual_sourcing_optimum(PMF, 2, 20.0).cost
    assert result.best_dev_cost < before
    assert result.best_dev_cost < 1.05 * optimum  # 23.70 against 23.07 after 150 steps on 256 paths
