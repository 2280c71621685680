"""Optimal base-stock policy with backlogged demand (base-stock is optimal here).

With lead time L the order placed now is the last that can serve period
t + L, so the per-period cost of level S is C(S) = E[h (S - D)^+ + p (D - S)^+]
with D the demand of L + 1 periods: a newsvendor on lead-time demand.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from invrl.exact.newsvendor import NewsvendorOptimum, newsvendor_discrete, newsvendor_normal, poisson_pmf

BaseStockOptimum = NewsvendorOptimum


def backlog_optimum_normal(mean: float, std: float, lead_time: int, shortage_cost: float, holding_cost: float = 1.0) -> BaseStockOptimum:
    """Closed form when period demand is exactly normal (negative demand allowed)."""
    periods = lead_time + 1
    return newsvendor_normal(mean * periods, std * np.sqrt(periods), shortage_cost, holding_cost)


def backlog_optimum_poisson(mean: float, lead_time: int, shortage_cost: float, holding_cost: float = 1.0) -> BaseStockOptimum:
    return newsvendor_discrete(poisson_pmf(mean * (lead_time + 1)), shortage_cost, holding_cost)


def truncated_normal_sum_density(mean: float, std: float, periods: int, step: float) -> tuple[np.ndarray, np.ndarray]:
    """Masses of the sum of ``periods`` iid N(mean, std) conditioned on >= 0, on a grid of ``step``."""
    law = stats.truncnorm(-mean / std, np.inf, loc=mean, scale=std)
    top = law.isf(1e-12)
    edges = np.arange(0.0, top + step, step)
    mass = np.diff(law.cdf(edges))
    mass /= mass.sum()
    total = np.array([1.0])
    for _ in range(periods):
        total = np.convolve(total, mass)
    grid = (np.arange(len(total)) + 0.5 * periods) * step  # each summand sits mid-cell
    return grid, total


def backlog_optimum_truncated_normal(
    mean: float, std: float, lead_time: int, shortage_cost: float, holding_cost: float = 1.0, step: float = 0.005
) -> BaseStockOptimum:
    """Exact up to the grid: demand N(mean, std) conditioned on >= 0, summed by numerical convolution."""
    grid, mass = truncated_normal_sum_density(mean, std, lead_time + 1, step)
    cdf = np.cumsum(mass)
    ratio = shortage_cost / (shortage_cost + holding_cost)
    level = float(grid[np.searchsorted(cdf, ratio)])
    return BaseStockOptimum(level, base_stock_cost(grid, mass, level, shortage_cost, holding_cost))


def base_stock_cost(grid: np.ndarray, mass: np.ndarray, level: float, shortage_cost: float, holding_cost: float = 1.0) -> float:
    over = np.clip(level - grid, 0, None) @ mass
    under = np.clip(grid - level, 0, None) @ mass
    return float(holding_cost * over + shortage_cost * under)
