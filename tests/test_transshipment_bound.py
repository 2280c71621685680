"""The transshipment lower bound: exactness for one store, monotonicity, validity against simulated policies."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special, stats

from invrl.exact import TransshipmentBound, backlog_optimum_truncated_normal, transshipment_lower_bound

MEAN, STD, H, P = 5.0, 1.6, 1.0, 9.0


def bound(n, rho, lead_w=2, lead_s=2, **kw):
    return transshipment_lower_bound(
        means=[MEAN] * n, stds=[STD] * n, correlation=rho, holding_costs=[H] * n, shortage_costs=[P] * n,
        warehouse_lead_time=lead_w, store_lead_time=lead_s, **kw,
    )


# --------------------------------------------------------------------------- simulator (test-only, numpy)


def sample_demand(means, stds, rho, reps, periods, seed):
    """[reps, periods, N]: N(mu, sigma^2) conditioned on >= 0, Gaussian copula with pairwise rho (the package's law)."""
    n = len(means)
    cov = np.full((n, n), rho) + (1.0 - rho) * np.eye(n)
    z = np.random.default_rng(seed).standard_normal((reps, periods, n)) @ np.linalg.cholesky(cov).T
    mu, sigma = np.asarray(means, float), np.asarray(stds, float)
    return stats.truncnorm.ppf(special.ndtr(z), -mu / sigma, np.inf, loc=mu, scale=sigma)


def simulate(demand, system_levels, store_levels, holding, shortage, lead_w, lead_s, warmup=100, rule="shortfall"):
    """Average cost per period (total over stores) of each policy, one row per replication: ``[policies, reps]``.

    Policy k: the centre orders up to the system inventory position ``system_levels[k]`` (everything at and in
    transit to the stores and the centre, backorders negative) and ships each period all that arrives.
    rule "shortfall": split in proportion to each store's shortfall below its own level ``store_levels[k, i]``
    (inventory position before the shipment), any excess in proportion to the levels; "balance": raise the
    lowest inventory positions to a common level (water filling; identical stores). Demand is common to all
    policies (common random numbers). Timing as in the package: arrivals, shipments/orders, demand, costs.
    """
    reps, periods, n = demand.shape
    big_s = np.asarray(system_levels, float)[:, None]  # [K, 1]
    small_s = np.asarray(store_levels, float)[:, None, :]  # [K, 1, N]
    k = big_s.shape[0]
    mu = demand.mean(axis=(0, 1))
    net = np.zeros((k, reps, n))
    store_pipe = np.broadcast_to(mu, (k, reps, lead_s, n)).copy()  # slot j arrives in j + 1 periods
    centre_pipe = np.full((k, reps, lead_w), mu.sum())
    total = np.zeros((k, reps))
    share = small_s / small_s.sum(-1, keepdims=True)
    for t in range(periods):
        net += store_pipe[:, :, 0]
        arriving = centre_pipe[:, :, 0]
        store_pipe = np.roll(store_pipe, -1, axis=2)
        store_pipe[:, :, -1] = 0.0
        centre_pipe = np.roll(centre_pipe, -1, axis=2)
        centre_pipe[:, :, -1] = 0.0
        position = net + store_pipe.sum(axis=2)  # [K, R, N]
        if rule == "shortfall":
            short = np.maximum(small_s - position, 0.0)
            need = short.sum(-1, keepdims=True)
            a = arriving[..., None]
            ship = np.where(
                need >= a,
                a * short / np.where(need > 0, need, 1.0),
                short + (a - need) * share,
            )
        else:  # water filling: common level ell with sum_i max(ell - position_i, 0) = arriving
            srt = np.sort(position, axis=-1)
            csum = np.cumsum(srt, axis=-1)
            j = np.arange(1, n + 1)
            ell = (arriving[..., None] + csum) / j  # level if the lowest j stores are filled
            ok = ell >= srt  # the level reaches the j-th lowest store
            last = n - 1 - np.argmax(ok[..., ::-1], axis=-1)
            level = np.take_along_axis(ell, last[..., None], axis=-1)
            ship = np.maximum(level - position, 0.0)
        store_pipe[:, :, -1] = ship
        system = net.sum(-1) + store_pipe.sum(axis=(2, 3)) + centre_pipe.sum(-1)
        centre_pipe[:, :, -1] = np.maximum(big_s - system, 0.0)
        net -= demand[None, :, t]
        if t >= warmup:
            total += (holding * np.maximum(net, 0.0) + shortage * np.maximum(-net, 0.0)).sum(-1)
    return total / (periods - warmup)


def policy_grid(n, result, lead_s):
    """System levels around the bound's minimiser; store levels around each store's share of lead-time demand."""
    tn_mean, tn_var = (float(x) for x in stats.truncnorm.stats(-MEAN / STD, np.inf, loc=MEAN, scale=STD, moments="mv"))
    offsets = np.array([-1.0, 0.0, 1.0, 2.0]) * np.sqrt(tn_var * n)
    store = (lead_s + 1) * tn_mean + np.array([-0.5, 0.5, 1.5]) * np.sqrt(tn_var * (lead_s + 1))
    grid = [(result.system_level + o, s) for o in offsets for s in store]
    return np.array([g[0] for g in grid]), np.array([[g[1]] * n for g in grid])


# --------------------------------------------------------------------------- tests


@pytest.mark.parametrize(
    ("mean", "std", "lead_w", "lead_s"),
    [(5.0, 1.6, 1, 1), (5.0, 1.6, 2, 2), (5.0, 4.0, 3, 1), (2.0, 3.0, 1, 4), (10.0, 3.0, 4, 4)],
)
def test_one_store_equals_backlog_optimum(mean, std, lead_w, lead_s):
    """N = 1: the relaxation drops nothing; base-stock on L_w + L_s + 1 periods of conditioned-normal demand."""
    for p, h in ((9.0, 1.0), (4.0, 2.0)):
        result = transshipment_lower_bound(
            means=[mean], stds=[std], correlation=0.0, holding_costs=[h], shortage_costs=[p],
            warehouse_lead_time=lead_w, store_lead_time=lead_s,
        )
        exact = backlog_optimum_truncated_normal(mean, std, lead_w + lead_s, p, h)
        assert result.lower_bound == pytest.approx(exact.cost, rel=1e-3)
        assert result.lower_bound_per_store == result.lower_bound
        assert result.system_level == pytest.approx(exact.level, abs=0.05 * std)
        single = backlog_optimum_truncated_normal(mean, std, lead_s, p, h)
        assert result.decoupled_bound == pytest.approx(single.cost, rel=1e-3)


def test_comonotone_identical_stores_gain_nothing_from_pooling():
    """rho = 1, identical stores: every store is the single-location optimum (no risk pooling at all)."""
    single = bound(1, 0.0, 3, 2).lower_bound
    for n in (3, 10):
        assert bound(n, 1.0, 3, 2).lower_bound_per_store == pytest.approx(single, rel=1e-3)
        assert bound(n, 0.999, 3, 2).lower_bound_per_store == pytest.approx(single, rel=2e-3)


def test_bound_increases_with_correlation():
    for n in (2, 5, 10):
        values = [bound(n, rho).lower_bound for rho in (-1.0 / (n - 1) if n > 2 else -0.5, 0.0, 0.25, 0.5, 0.9)]
        assert np.all(np.diff(values) > 0), values
    zero, half = bound(5, 0.0), bound(5, 0.5)
    assert half.lower_bound > 1.02 * zero.lower_bound
    assert half.decoupled_bound == zero.decoupled_bound  # the store side only sees marginals


def test_pooling_lowers_the_bound_per_store():
    """Independent stores: the more stores share the supply lead time, the less it costs per store."""
    per_store = [bound(n, 0.0, 3, 1).lower_bound_per_store for n in (1, 2, 5, 10)]
    assert np.all(np.diff(per_store) < 0), per_store
    assert per_store[-1] > bound(10, 0.0, 3, 1).decoupled_bound / 10


def test_decoupled_bound_is_weaker():
    cases = [
        dict(means=[5.0, 3.0, 8.0], stds=[1.6, 1.0, 3.0], holding_costs=[1.0, 2.0, 0.5], shortage_costs=[9.0, 5.0, 19.0]),
        dict(means=[5.0] * 4, stds=[1.6] * 4, holding_costs=[1.0] * 4, shortage_costs=[9.0] * 4),
    ]
    for case in cases:
        for rho in (-0.2, 0.0, 0.5):
            for lead_w, lead_s in ((1, 1), (2, 3), (4, 1)):
                result = transshipment_lower_bound(**case, correlation=rho, warehouse_lead_time=lead_w, store_lead_time=lead_s)
                assert isinstance(result, TransshipmentBound)
                assert result.decoupled_bound < result.lower_bound
                assert result.lower_bound_per_store == pytest.approx(result.lower_bound / len(case["means"]))


def test_monte_carlo_route_agrees_and_is_deterministic():
    kw = dict(means=[5.0, 3.0, 8.0], stds=[1.6, 1.0, 3.0], holding_costs=[1.0, 2.0, 0.5], shortage_costs=[9.0, 5.0, 19.0],
              warehouse_lead_time=2, store_lead_time=2)
    for rho in (0.0, 0.4, 1.0):
        quad = transshipment_lower_bound(**kw, correlation=rho)
        mc = transshipment_lower_bound(**kw, correlation=rho, method="monte_carlo", seed=3)
        assert mc.lower_bound == pytest.approx(quad.lower_bound, rel=1e-3)
    a = transshipment_lower_bound(**kw, correlation=-0.3, seed=7)
    assert a == transshipment_lower_bound(**kw, correlation=-0.3, seed=7)
    assert a.lower_bound == pytest.approx(transshipment_lower_bound(**kw, correlation=-0.3, seed=8).lower_bound, rel=1e-3)
    assert bound(4, 0.3) == bound(4, 0.3)


@pytest.mark.parametrize(("n", "rho"), [(3, 0.0), (3, 0.5), (5, 0.0), (5, 0.5)])
def test_bound_below_simulated_policies_and_not_vacuous(n, rho):
    """Every simulated feasible policy costs at least the bound (up to 3 SE); the best is close to it."""
    lead_w, lead_s = 2, 2
    result = bound(n, rho, lead_w, lead_s)
    demand = sample_demand([MEAN] * n, [STD] * n, rho, reps=60, periods=600, seed=11 + n)
    big_s, small_s = policy_grid(n, result, lead_s)
    for rule, levels in (("shortfall", big_s), ("balance", result.system_level + np.array([-1.0, 0.0, 1.0]))):
        costs = simulate(demand, levels, small_s[: len(levels)], H, P, lead_w, lead_s, rule=rule)  # [policies, reps]
        mean, se = costs.mean(1), costs.std(1, ddof=1) / np.sqrt(costs.shape[1])
        assert np.all(mean >= result.lower_bound - 3 * se), (rule, (mean - result.lower_bound) / se)
        gap = mean.min() / result.lower_bound - 1  # about 0.1-0.3% here: the bound is nearly tight
        assert gap < 0.05, (rule, gap)


def test_bound_below_simulated_policy_heterogeneous_stores():
    means, stds = [5.0, 3.0, 8.0], [1.6, 1.0, 3.0]
    h, p = np.array([1.0, 2.0, 0.5]), np.array([9.0, 5.0, 19.0])
    result = transshipment_lower_bound(means=means, stds=stds, correlation=0.3, holding_costs=h, shortage_costs=p,
                                       warehouse_lead_time=2, store_lead_time=1)
    demand = sample_demand(means, stds, 0.3, reps=40, periods=600, seed=5)
    levels = np.array([[12.0, 7.5, 21.0], [11.0, 7.0, 19.0]])
    costs = simulate(demand, [result.system_level, result.system_level + 2.0], levels, h, p, 2, 1)
    mean, se = costs.mean(1), costs.std(1, ddof=1) / np.sqrt(costs.shape[1])
    assert np.all(mean >= result.lower_bound - 3 * se)
    assert mean.min() < 1.2 * result.lower_bound


def test_validation():
    ok = dict(means=[5.0, 5.0, 5.0], stds=[1.0] * 3, correlation=0.0, holding_costs=[1.0] * 3, shortage_costs=[9.0] * 3,
              warehouse_lead_time=2, store_lead_time=2)
    transshipment_lower_bound(**ok)
    transshipment_lower_bound(**{**ok, "correlation": -0.5})  # the PSD limit -1/(N-1)
    bad = [
        ({"stds": [1.0, 1.0]}, "one entry per store"),
        ({"shortage_costs": [9.0] * 4}, "one entry per store"),
        ({"warehouse_lead_time": 0}, "warehouse_lead_time"),
        ({"store_lead_time": 0}, "store_lead_time"),
        ({"store_lead_time": 1.5}, "store_lead_time"),
        ({"correlation": -0.51}, "positive semidefinite"),
        ({"correlation": 1.2}, "correlation"),
        ({"stds": [1.0, 0.0, 1.0]}, "stds"),
        ({"holding_costs": [1.0, -1.0, 1.0]}, "costs"),
        ({"means": []}, "non-empty"),
        ({"method": "exact"}, "method"),
        ({"method": "quadrature", "correlation": -0.2}, "quadrature"),
    ]
    for change, match in bad:
        with pytest.raises(ValueError, match=match):
            transshipment_lower_bound(**{**ok, **change})
    # N = 1: any rho in [-1, 1] is a valid 1x1 correlation matrix
    one = {**ok, "means": [5.0], "stds": [1.0], "holding_costs": [1.0], "shortage_costs": [9.0]}
    assert transshipment_lower_bound(**{**one, "correlation": -1.0}) == transshipment_lower_bound(**one)
