"""The newsvendor: one period, stock level S, cost h E(S-D)^+ + p E(D-S)^+.

It is the building block of all exact results here: the backlog base-stock
problem is a newsvendor on lead-time demand, and with zero lead time it is
also the lost-sales optimum. The critical fractile p/(p+h) is optimal.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from invrl.errors import InputError


@dataclass(frozen=True)
class BaseStockOptimum:
    """Optimal stock level (order-up-to / base-stock) and its expected cost per period."""

    level: float
    cost: float


def critical_ratio(shortage_cost: float, holding_cost: float) -> float:
    if shortage_cost <= 0 or holding_cost <= 0:
        raise InputError(f"shortage_cost and holding_cost must be > 0 for an optimum, got {shortage_cost} and {holding_cost}")
    return shortage_cost / (shortage_cost + holding_cost)


def discrete_costs(pmf: np.ndarray, levels: np.ndarray, shortage_cost: float, holding_cost: float = 1.0) -> np.ndarray:
    """Expected one-period cost of each integer level, demand with ``pmf`` over 0..K.

    Uses E(S-D)^+ = sum_{k<S} F(k) and E(D-S)^+ = E D - S + E(S-D)^+, so the
    cost is exact for any level, also beyond K.
    """
    pmf = np.asarray(pmf, dtype=np.float64)
    levels = np.asarray(levels)
    cdf = np.cumsum(pmf)
    # over[S] = sum_{k=0}^{S-1} F(k), with F(k) = 1 beyond the support
    top = int(max(levels.max(initial=0), len(pmf)))
    cdf_ext = np.concatenate([cdf, np.ones(top + 1 - len(cdf))])
    over_all = np.concatenate([[0.0], np.cumsum(cdf_ext)])
    over = over_all[np.clip(levels, 0, None)]
    under = float(np.arange(len(pmf)) @ pmf) - levels + over
    return holding_cost * over + shortage_cost * under


def newsvendor_discrete(pmf: np.ndarray, shortage_cost: float, holding_cost: float = 1.0) -> BaseStockOptimum:
    """Demand on 0..K with the given probabilities (summing to 1): smallest S with F(S) >= p/(p+h)."""
    pmf = np.asarray(pmf, dtype=np.float64)
    ratio = critical_ratio(shortage_cost, holding_cost)
    level = int(np.searchsorted(np.cumsum(pmf), ratio - 1e-12))  # tolerance: ties at the fractile
    level = min(level, len(pmf) - 1)
    return BaseStockOptimum(float(level), float(discrete_costs(pmf, np.array([level]), shortage_cost, holding_cost)[0]))


def poisson_pmf(mean: float, tail: float = 1e-16) -> np.ndarray:
    """Poisson probabilities on 0..K with K far enough that the omitted tail is below ``tail``."""
    top = int(stats.poisson(mean).isf(tail)) + 2
    return stats.poisson(mean).pmf(np.arange(top + 1))


def newsvendor_poisson(mean: float, shortage_cost: float, holding_cost: float = 1.0) -> BaseStockOptimum:
    """Exact: integer level, costs from the Poisson cdf."""
    ratio = critical_ratio(shortage_cost, holding_cost)
    law = stats.poisson(mean)
    level = int(law.ppf(ratio))
    # ppf may land one below the fractile because of rounding; step up while F(S) < ratio
    while law.cdf(level) < ratio - 1e-12:
        level += 1
    cost = poisson_costs(mean, np.array([level]), shortage_cost, holding_cost)[0]
    return BaseStockOptimum(float(level), float(cost))


def poisson_costs(mean: float, levels: np.ndarray, shortage_cost: float, holding_cost: float = 1.0) -> np.ndarray:
    """Exact expected one-period cost of integer levels with Poisson(mean) demand."""
    levels = np.asarray(levels, dtype=np.int64)
    top = int(levels.max(initial=0))
    cdf = stats.poisson(mean).cdf(np.arange(top + 1))
    over_all = np.concatenate([[0.0], np.cumsum(cdf)])  # E(S-D)^+ = sum_{k<S} F(k)
    over = over_all[np.clip(levels, 0, None)]
    under = mean - levels + over
    return holding_cost * over + shortage_cost * under


def newsvendor_normal(mean: float, std: float, shortage_cost: float, holding_cost: float = 1.0) -> BaseStockOptimum:
    """Closed form for (untruncated) normal demand: S = mean + std z, cost = (h+p) std phi(z).

    z = Phi^-1(p/(p+h)); follows from the standard normal loss function.
    """
    z = stats.norm.ppf(critical_ratio(shortage_cost, holding_cost))
    return BaseStockOptimum(float(mean + std * z), float((holding_cost + shortage_cost) * std * stats.norm.pdf(z)))


def newsvendor(distribution, shortage_cost: float, holding_cost: float = 1.0) -> BaseStockOptimum:
    """Any frozen scipy distribution: level at the critical fractile, cost by ``expect``.

    For discrete laws the level is the smallest support point with F(S) >= p/(p+h).
    """
    ratio = critical_ratio(shortage_cost, holding_cost)
    level = float(distribution.ppf(ratio))
    over = distribution.expect(lambda x: level - x, ub=level)
    under = distribution.expect(lambda x: x - level, lb=level)
    return BaseStockOptimum(level, float(holding_cost * over + shortage_cost * under))
