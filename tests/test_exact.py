"""Exact optima against published tables, brute force, closed forms and simulation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, stats

from invrl.exact import (
    backlog_optimum_normal,
    backlog_optimum_poisson,
    backlog_optimum_truncated_normal,
    base_stock_cost,
    lost_sales_optimum,
    newsvendor,
    newsvendor_discrete,
    newsvendor_normal,
    newsvendor_poisson,
    optimum_for,
)

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


def _poisson_pmf(mean: float, n: int) -> np.ndarray:
    k = np.arange(n)
    return np.exp(k * np.log(mean) - mean - np.array([math.lgamma(i + 1) for i in k]))


def _brute_costs(pmf: np.ndarray, p: float, h: float, levels) -> np.ndarray:
    k = np.arange(len(pmf))
    return np.array([float((h * (s - k).clip(0) + p * (k - s).clip(0)) @ pmf) for s in levels])


@pytest.mark.parametrize("p", [4, 19, 39])
def test_zero_lead_time_lost_sales_is_the_newsvendor(p):
    dp = lost_sales_optimum(5.0, 0, p)
    nv = newsvendor_poisson(5.0, p)
    assert dp.cost == pytest.approx(nv.cost, abs=1e-6)
    assert dp.order(np.array([0, 3, nv.level + 2])).tolist() == [nv.level, nv.level - 3, 0]
    brute = _brute_costs(_poisson_pmf(5.0, 80), p, 1.0, range(40))
    assert nv.cost == pytest.approx(brute.min(), abs=1e-12) and nv.level == int(brute.argmin())
    assert newsvendor_discrete(_poisson_pmf(5.0, 80), p).cost == pytest.approx(nv.cost, abs=1e-12)
    assert newsvendor(stats.poisson(5.0), p).cost == pytest.approx(nv.cost, abs=1e-9)


def test_larger_truncation_changes_nothing():
    """Morton's bound: capping the position at the backlog base-stock level is exact."""
    tight = lost_sales_optimum(5.0, 2, 9.0, tol=1e-9)
    loose = lost_sales_optimum(5.0, 2, 9.0, tol=1e-9, max_inventory=tight.max_inventory + 6)
    assert loose.cost == pytest.approx(tight.cost, abs=1e-8)
    cut = loose.orders[: tight.max_inventory + 1, : tight.max_inventory + 1]
    inside = np.add.outer(np.arange(cut.shape[0]), np.arange(cut.shape[1])) <= tight.max_inventory
    assert (cut[inside] == tight.orders[inside]).all()
    assert (loose.orders[~np.pad(inside, ((0, 6), (0, 6)))] == 0).all()  # beyond the bound: order nothing


@pytest.mark.parametrize("lead_time,p", [(2, 9), (3, 39)])
def test_optimal_orders_have_zipkins_structure(lead_time, p):
    """Order falls as any state component rises, by at most one unit per unit (Zipkin 2008)."""
    opt = lost_sales_optimum(5.0, lead_time, p)
    orders = opt.orders.astype(int)
    position = np.indices(orders.shape).sum(axis=0)
    top = opt.max_inventory
    for axis in range(lead_time):
        drop = np.take(orders, range(top), axis=axis) - np.take(orders, range(1, top + 1), axis=axis)
        inside = np.take(position, range(1, top + 1), axis=axis) <= top
        assert (drop[inside] >= 0).all() and (drop[inside] <= 1).all()


def test_order_reads_the_simulator_layout():
    opt = lost_sales_optimum(5.0, 2, 9.0)
    on_hand = np.array([0, 3, 1, 40])
    pipeline = np.array([[2, 5], [0, 0], [4, 1], [0, 0]])  # [:, 0] arrives now
    expected = [opt.orders[2, 5], opt.orders[3, 0], opt.orders[5, 1], 0]
    assert opt.order(on_hand, pipeline).tolist() == expected


def _simulate_lost_sales(opt, mean: float, p: float, h: float, n_paths: int, periods: int, warmup: int, seed: int):
    """Per-path average cost of the DP policy, written independently of the DP's state reduction."""
    rng = np.random.default_rng(seed)
    lead = opt.lead_time
    on_hand = np.zeros(n_paths, dtype=np.int64)
    pipeline = np.zeros((n_paths, lead), dtype=np.int64)  # [:, k] arrives at the start of t + k
    total = np.zeros(n_paths)
    for t in range(warmup + periods):
        order = opt.order(on_hand, pipeline)
        pipeline = np.concatenate([pipeline, order[:, None]], axis=1)  # due at t + L
        on_hand = on_hand + pipeline[:, 0]  # arrivals
        pipeline = pipeline[:, 1:]
        demand = rng.poisson(mean, n_paths)
        lost = np.maximum(demand - on_hand, 0)
        on_hand = np.maximum(on_hand - demand, 0)
        if t >= warmup:
            total += h * on_hand + p * lost
    return total / periods


def test_dp_policy_simulated_matches_dp_cost():
    opt = lost_sales_optimum(5.0, 1, 4.0)
    per_path = _simulate_lost_sales(opt, 5.0, 4.0, 1.0, n_paths=2000, periods=400, warmup=50, seed=7)
    se = per_path.std(ddof=1) / math.sqrt(len(per_path))
    assert abs(per_path.mean() - opt.cost) < 3 * se


def test_normal_newsvendor_closed_form_matches_integration():
    mean, std, p, h = 10.0, 2.0, 9.0, 1.0
    nv = newsvendor_normal(mean, std, p, h)
    dens = stats.norm(mean, std).pdf
    over = integrate.quad(lambda x: (nv.level - x) * dens(x), -np.inf, nv.level, epsabs=1e-13)[0]
    under = integrate.quad(lambda x: (x - nv.level) * dens(x), nv.level, np.inf, epsabs=1e-13)[0]
    assert nv.cost == pytest.approx(h * over + p * under, rel=1e-9)
    assert stats.norm(mean, std).cdf(nv.level) == pytest.approx(p / (p + h))
    assert base_stock_cost(nv.level, mean, 0, p, h, distribution="normal", std=std) == pytest.approx(nv.cost, rel=1e-12)


@pytest.mark.parametrize("lead_time,p", [(0, 4), (1, 9), (4, 39)])
def test_truncated_normal_backlog_is_close_to_the_normal_closed_form(lead_time, p):
    """Truncating N(5, 1.6) at 0 (probability 9e-4) lowers the cost by about 0.2%;
    for N(5, 1) (probability 3e-7) the optima agree to the grid's accuracy."""
    exact = backlog_optimum_truncated_normal(5.0, 1.6, lead_time, p)
    closed = backlog_optimum_normal(5.0, 1.6, lead_time, p)
    assert closed.cost * (1 - 3e-3) < exact.cost < closed.cost
    assert exact.level == pytest.approx(closed.level, abs=0.02)
    exact = backlog_optimum_truncated_normal(5.0, 1.0, lead_time, p)
    closed = backlog_optimum_normal(5.0, 1.0, lead_time, p)
    assert exact.cost == pytest.approx(closed.cost, rel=1e-5)
    assert exact.level == pytest.approx(closed.level, abs=1e-4)
    # S* minimises C(S)
    around = [base_stock_cost(exact.level + d, 5.0, lead_time, p, distribution="truncated_normal", std=1.0) for d in (-0.02, 0.02)]
    assert min(around) > exact.cost


def test_truncated_normal_newsvendor_matches_quadrature():
    """L = 0 against scipy's truncated normal integrated by quadrature (strong truncation)."""
    mean, std, p = 2.0, 3.0, 9.0
    law = stats.truncnorm(-mean / std, np.inf, loc=mean, scale=std)
    grid = backlog_optimum_truncated_normal(mean, std, 0, p)
    quad = newsvendor(law, p)
    assert grid.level == pytest.approx(quad.level, abs=1e-4)
    assert grid.cost == pytest.approx(quad.cost, rel=1e-5)


def test_truncated_normal_sum_matches_simulation():
    """Two-period sum of truncated normals (strong truncation), against Monte Carlo."""
    mean, std, p = 1.0, 2.0, 4.0
    opt = backlog_optimum_truncated_normal(mean, std, 1, p)
    law = stats.truncnorm(-mean / std, np.inf, loc=mean, scale=std)
    d = law.rvs(size=(400_000, 2), random_state=np.random.default_rng(3)).sum(axis=1)
    cost = (opt.level - d).clip(0) + p * (d - opt.level).clip(0)
    assert abs(cost.mean() - opt.cost) < 3 * cost.std() / math.sqrt(len(cost))
    assert (d <= opt.level).mean() == pytest.approx(p / (p + 1), abs=3e-3)


@pytest.mark.parametrize("lead_time,p", [(0, 9), (2, 9), (4, 39)])
def test_poisson_backlog_matches_brute_force(lead_time, p):
    opt = backlog_optimum_poisson(5.0, lead_time, p)
    costs = _brute_costs(_poisson_pmf(5.0 * (lead_time + 1), 150), p, 1.0, range(80))
    assert opt.cost == pytest.approx(costs.min(), abs=1e-9) and opt.level == int(costs.argmin())
    assert base_stock_cost(opt.level, 5.0, lead_time, p) == pytest.approx(opt.cost, abs=1e-12)


def test_optimum_for_dispatches_and_declines():
    base = {"system": "single_location", "lead_time": 1, "holding_cost": 1.0, "shortage_cost": 4.0}
    poisson = {"distribution": "poisson", "mean": 5.0}
    normal = {"distribution": "normal", "mean": 5.0, "std": 1.6}
    lost = optimum_for({**base, "lost_sales": True, "demand": poisson})
    assert lost["method"] == "dynamic_programming" and round(lost["optimal_cost"], 2) == 4.04
    assert optimum_for({**base, "lost_sales": True, "demand": normal}) is None
    assert optimum_for({**base, "lost_sales": False, "demand": {"distribution": "negative_binomial", "mean": 5.0}}) is None
    from invrl.families import optimum_of

    one_stage = optimum_of({**base, "system": "serial", "n_locations": 1, "lost_sales": False, "demand": poisson})
    assert one_stage["method"] == "clark_scarf"  # a one-location line is the backlog newsvendor on L + 1 periods
    assert one_stage["optimal_cost"] == pytest.approx(backlog_optimum_poisson(5.0, 1, 4.0).cost)
    assert optimum_of({"system": "one_warehouse", "n_stores": 3, "demand": normal}) is None  # no optimum known
    backlog = optimum_for({**base, "lost_sales": False, "demand": normal})
    assert backlog["optimal_cost"] == pytest.approx(backlog_optimum_truncated_normal(5.0, 1.6, 1, 4.0).cost)
    assert optimum_for({**base, "lost_sales": False, "demand": poisson})["base_stock_level"] == backlog_optimum_poisson(5.0, 1, 4.0).level
    zero = optimum_for({**base, "lead_time": 0, "lost_sales": True, "demand": normal})
    assert zero["method"] == "newsvendor"


@pytest.mark.parametrize("p,level,cost", [(4, 7, 3.2774), (9, 8, 4.2211), (19, 9, 5.0803), (39, 10, 5.8875)])
def test_zero_lead_time_cells_match_the_published_newsvendor(p, level, cost):
    """Lost sales with L = 0, Poisson(5), h = 1 (issue 15's lost_sales_no_lead_time experiment)."""
    setting = {"system": "single_location", "lead_time": 0, "holding_cost": 1.0, "shortage_cost": float(p),
               "lost_sales": True, "demand": {"distribution": "poisson", "mean": 5.0}}
    optimum = optimum_for(setting)
    assert optimum["base_stock_level"] == level and round(optimum["optimal_cost"], 4) == cost
