"""Clark-Scarf serial optimum: single-stage limit, brute-force simulation, input checks."""

from __future__ import annotations

import numpy as np
import pytest

from invrl.exact import (
    backlog_optimum_poisson,
    clark_scarf,
    clark_scarf_poisson,
    serial_base_stock_cost,
)
from invrl.exact.newsvendor import poisson_pmf


def simulate_serial(
    levels: np.ndarray, lead_times: list[int], holding: list[float], p: float, demand: np.ndarray, warmup: int
) -> np.ndarray:
    """Average cost per period of echelon base-stock ``levels`` (P policies x K), per policy and path.

    ``demand`` is (periods, paths), shared by all policies (common random numbers).
    Timing of period t: arrivals due at t; every stage ships downstream up to its
    echelon level, limited by its on-hand after arrivals (the top is unlimited);
    the store serves demand, backlogging; then on-hand (not transit) and
    backorders are charged. Starts empty; the first ``warmup`` periods are not counted.
    """
    k = len(lead_times)
    policies, paths = levels.shape[0], demand.shape[1]
    shape = (policies, paths)
    targets = [levels[:, j, None] for j in range(k)]
    net = np.zeros(shape, dtype=np.int64)  # store: on hand minus backorders
    onhand = [np.zeros(shape, dtype=np.int64) for _ in range(k)]  # index 0 unused (net instead)
    pipes = [np.zeros((lead, *shape), dtype=np.int64) for lead in lead_times]  # ring buffers, slot t % L
    in_transit = [np.zeros(shape, dtype=np.int64) for _ in range(k)]
    total = np.zeros(shape)
    for t in range(demand.shape[0]):
        for j in range(k):
            slot = t % lead_times[j]
            arriving = pipes[j][slot]
            if j == 0:
                net += arriving
            else:
                onhand[j] += arriving
            in_transit[j] -= arriving
        position = net.copy()
        for j in range(k):
            if j > 0:
                position += onhand[j]
            position += in_transit[j]  # echelon position of j: stock at or below j plus transit into <= j
            order = np.maximum(targets[j] - position, 0)
            if j < k - 1:
                order = np.minimum(order, onhand[j + 1])
                onhand[j + 1] -= order
            pipes[j][t % lead_times[j]] = order  # arrives at the start of t + L_j
            in_transit[j] += order
            position += order
        net -= demand[t]
        if t >= warmup:
            cost = holding[0] * np.maximum(net, 0) + p * np.maximum(-net, 0)
            for j in range(1, k):
                cost = cost + holding[j] * onhand[j]
            total += cost
    return total / (demand.shape[0] - warmup)


@pytest.mark.parametrize("lead_time", [1, 2, 4])
@pytest.mark.parametrize("p", [4.0, 9.0, 39.0])
def test_single_stage_is_the_backlog_newsvendor(lead_time, p):
    cs = clark_scarf_poisson(5.0, [lead_time], [1.0], p)
    reference = backlog_optimum_poisson(5.0, lead_time, p, 1.0)
    assert cs.echelon_levels == (int(reference.level),)
    assert cs.cost == pytest.approx(reference.cost, rel=1e-10)
    assert cs.cost_with_pipeline_holding == cs.cost


def test_optimal_levels_minimise_the_exact_policy_cost():
    lead_times, holding, p = [2, 1, 3], [1.0, 0.6, 0.3], 9.0
    pmf = poisson_pmf(3.0)
    cs = clark_scarf(lead_times, holding, p, pmf)
    assert serial_base_stock_cost(cs.echelon_levels, lead_times, holding, p, pmf) == pytest.approx(cs.cost, rel=1e-12)
    base = np.array(cs.echelon_levels)
    for delta in np.ndindex(5, 5, 5):
        levels = base + np.array(delta) - 2
        assert serial_base_stock_cost(levels.tolist(), lead_times, holding, p, pmf) >= cs.cost - 1e-9


def test_pipeline_correction_is_upstream_holding_on_transit():
    lead_times, holding, mean = [1, 2, 3], [1.0, 0.6, 0.3], 4.0
    cs = clark_scarf_poisson(mean, lead_times, holding, 9.0)
    # transit into stage 1 (L = 1) at h_2 = 0.6, into stage 2 (L = 2) at h_3 = 0.3; into the top: free
    assert cs.cost_with_pipeline_holding - cs.cost == pytest.approx(mean * (1 * 0.6 + 2 * 0.3), rel=1e-9)


def test_equal_holding_costs_are_allowed():
    # e_1 = 0: stock may as well move straight on to the store, so (transit being free) the optimum is
    # the one-stage system with lead time L_1 + L_2; the pipeline into the store costs h_2 L_1 mu more
    cs = clark_scarf_poisson(3.0, [1, 2], [1.0, 1.0], 9.0)
    reference = backlog_optimum_poisson(3.0, 3, 9.0, 1.0)
    assert cs.echelon_levels[1] == int(reference.level)
    assert cs.cost == pytest.approx(reference.cost, rel=1e-8)
    assert cs.cost_with_pipeline_holding == pytest.approx(reference.cost + 1.0 * 1 * 3.0, rel=1e-8)


SERIAL_CASES = [
    (5.0, [2], [1.0], 9.0),  # K = 1 checks the simulator against the newsvendor
    (2.0, [1, 2], [1.0, 0.5], 4.0),
    (3.0, [2, 1], [1.0, 0.5], 9.0),
    (2.0, [1, 2, 1], [1.0, 0.6, 0.3], 4.0),
    (3.0, [2, 1, 2], [1.0, 0.6, 0.3], 9.0),
]


@pytest.mark.parametrize(("mean", "lead_times", "holding", "p"), SERIAL_CASES)
def test_simulated_cost_at_the_optimum_matches(mean, lead_times, holding, p):
    cs = clark_scarf_poisson(mean, lead_times, holding, p)
    demand = np.random.default_rng(1).poisson(mean, size=(450, 4000))
    costs = simulate_serial(np.array([cs.echelon_levels]), lead_times, holding, p, demand, warmup=50)[0]
    error = costs.std(ddof=1) / np.sqrt(costs.size)
    assert abs(costs.mean() - cs.cost) < 3 * error
    assert abs(costs.mean() - cs.cost) < 0.005 * cs.cost


@pytest.mark.parametrize(("mean", "lead_times", "holding", "p"), SERIAL_CASES)
def test_brute_force_grid_has_no_better_policy(mean, lead_times, holding, p):
    cs = clark_scarf_poisson(mean, lead_times, holding, p)
    k, span = len(lead_times), 3
    base = np.array(cs.echelon_levels)
    grid = np.array([base + np.array(d) - span for d in np.ndindex(*(2 * span + 1,) * k)])
    demand = np.random.default_rng(2).poisson(mean, size=(430, 1000))
    costs = simulate_serial(grid, lead_times, holding, p, demand, warmup=30)  # (policies, paths)
    at_cs = costs[np.flatnonzero((grid == base).all(axis=1))[0]]
    best = int(costs.mean(axis=1).argmin())
    # the best simulated policy beats the CS levels by less than 2 standard errors of the paired difference
    diff = at_cs - costs[best]
    assert diff.mean() <= 2 * diff.std(ddof=1) / np.sqrt(diff.size) + 1e-12
    # and the brute force ranks the grid as the exact policy cost does (cost formula checked off the optimum)
    pmf = poisson_pmf(mean)
    exact = np.array([serial_base_stock_cost(s.tolist(), lead_times, holding, p, pmf) for s in grid])
    assert int(exact.argmin()) == int(np.flatnonzero((grid == base).all(axis=1))[0])
    error = costs.std(axis=1, ddof=1) / np.sqrt(costs.shape[1])
    assert np.all(np.abs(costs.mean(axis=1) - exact) < 4 * error)


@pytest.mark.parametrize(
    ("lead_times", "holding", "p", "pmf", "match"),
    [
        ([1, 2], [1.0], 4.0, [0.5, 0.5], "same length"),
        ([0, 2], [1.0, 0.5], 4.0, [0.5, 0.5], ">= 1"),
        ([1, 1.5], [1.0, 0.5], 4.0, [0.5, 0.5], "integers"),
        ([1, 2], [1.0, -0.5], 4.0, [0.5, 0.5], "non-negative"),
        ([1, 2], [0.5, 1.0], 4.0, [0.5, 0.5], "non-increasing upstream"),
        ([1, 2], [0.0, 0.0], 4.0, [0.5, 0.5], "store's holding cost"),
        ([1, 2], [1.0, 0.5], -1.0, [0.5, 0.5], "shortage cost"),
        ([1, 2], [1.0, 0.5], 4.0, [0.5, 0.4], "sum to 1"),
        ([1, 2], [1.0, 0.5], 4.0, [1.2, -0.2], "non-negative probabilities"),
        ([], [], 4.0, [1.0], "at least one stage"),
    ],
)
def test_invalid_inputs_raise(lead_times, holding, p, pmf, match):
    with pytest.raises(ValueError, match=match):
        clark_scarf(lead_times, holding, p, pmf)


def test_invalid_poisson_mean_and_levels_raise():
    with pytest.raises(ValueError, match="mean"):
        clark_scarf_poisson(0.0, [1], [1.0], 4.0)
    with pytest.raises(ValueError, match="levels"):
        serial_base_stock_cost([3], [1, 1], [1.0, 0.5], 4.0, [0.5, 0.5])
