"""The newsvendor: one period, order level S, cost h E(S-D)^+ + p E(D-S)^+.

The critical fractile p/(p+h) of demand is optimal; it is also the optimal
lost-sales and backlog policy with zero lead time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class NewsvendorOptimum:
    level: float
    cost: float


def expected_cost_discrete(pmf: np.ndarray, levels: np.ndarray, shortage_cost: float, holding_cost: float) -> np.ndarray:
    """Expected one-period cost of each integer level for demand with ``pmf`` over 0..K."""
    k = np.arange(len(pmf))
    levels = np.asarray(levels, dtype=float)[:, None]
    over = np.clip(levels - k, 0, None) @ pmf
    under = np.clip(k - levels, 0, None) @ pmf
    return holding_cost * over + shortage_cost * under


def newsvendor_discrete(pmf: np.ndarray, shortage_cost: float, holding_cost: float = 1.0) -> NewsvendorOptimum:
    levels = np.arange(len(pmf))
    costs = expected_cost_discrete(pmf, levels, shortage_cost, holding_cost)
    best = int(np.argmin(costs))
    return NewsvendorOptimum(float(levels[best]), float(costs[best]))


def poisson_pmf(mean: float, tail: float = 1e-13) -> np.ndarray:
    top = int(stats.poisson(mean).isf(tail)) + 2
    pmf = stats.poisson(mean).pmf(np.arange(top))
    return pmf / pmf.sum()


def newsvendor_poisson(mean: float, shortage_cost: float, holding_cost: float = 1.0) -> NewsvendorOptimum:
    return newsvendor_discrete(poisson_pmf(mean), shortage_cost, holding_cost)


def newsvendor_normal(mean: float, std: float, shortage_cost: float, holding_cost: float = 1.0) -> NewsvendorOptimum:
    """Closed form: S = mean + std z with z = Phi^-1(p/(p+h)); cost = (h+p) std phi(z)."""
    z = stats.norm.ppf(shortage_cost / (shortage_cost + holding_cost))
    return NewsvendorOptimum(float(mean + std * z), float((holding_cost + shortage_cost) * std * stats.norm.pdf(z)))
