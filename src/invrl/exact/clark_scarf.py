"""Exact optimum of a serial (multi-echelon) system with backlog: Clark & Scarf.

Why: the serial system is the multi-echelon setting where the optimum is
known exactly, so it is the ground truth that learned policies are measured
against (as the newsvendor is for a single location with backlog). Echelon
base-stock policies are optimal (Clark & Scarf 1960); Chen & Zheng (1994)
give the exact cost decomposition and Gallego & Zipkin (1999) the recursion
in the form used here.

System (stage 1 = store, stage K = top; index 0 = store in code).
``lead_times[j]`` is the lead time of the edge into stage j, all >= 1;
``holding_costs[j]`` the cost per unit on hand at stage j at the end of a
period; p per unit backordered at the store at the end of a period; units in
transit cost nothing. Period t: stages receive what is due, every stage
ships downstream (the top orders from an unlimited supplier) up to what its
on-hand allows, the store serves demand (backlogging), costs are charged.

Recursion (1-based stages, e_j = h_j - h_{j+1} >= 0, h_{K+1} = 0, D^(m) the
demand of m periods, mu the mean period demand):

    G_1(y) = E[e_1 (y - D^(L_1+1)) + (p + h_1) (D^(L_1+1) - y)^+]
    G_j(y) = e_j (y - (L_j+1) mu) + E[G_{j-1}(min(S_{j-1}, y - D^(L_j)))]
    S_j    = argmin G_j.

Why it holds in this timing: an echelon-j order placed at t has reached
stage j by t + L_j, so stage j-1 can raise its echelon position at t + L_j
to min(S_{j-1}, y_j - D^(L_j)); echelon j's stock at the end of t + L_j
(excluding transit into j) is y_j - D^(L_j + 1), charged e_j per unit. The
sum of these echelon costs plus (p + h_1) times the backorders charges every
unit in transit into stage j at h_{j+1}, so G_K(S_K) is the optimal average
cost *with* pipeline holding; with none (our convention) subtract
sum_{j<K} h_{j+1} L_j mu, as L_j mu units are in transit into j on average.
Checked against a brute-force simulation in tests/test_clark_scarf.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from invrl.exact.newsvendor import poisson_pmf

_QUANTILE_TAIL = 1e-12  # the grid reaches the 1 - this quantile of the longest cumulative demand
_MARGIN = 10


@dataclass(frozen=True)
class SerialOptimum:
    """Optimal echelon base-stock levels of a serial system and their average cost per period."""

    cost: float  # our convention: no holding cost on units in transit
    echelon_levels: tuple[int, ...]  # S_1..S_K, index 0 = store
    cost_with_pipeline_holding: float  # transit into stage j charged at h_{j+1}


def _validate(
    lead_times: Sequence[int], holding_costs: Sequence[float], shortage_cost: float, demand_pmf: Sequence[float]
) -> tuple[list[int], np.ndarray, float, np.ndarray]:
    leads = [int(x) for x in lead_times]
    if any(int(x) != x for x in lead_times):
        raise ValueError(f"lead times must be integers, got {list(lead_times)}")
    h = np.asarray(holding_costs, dtype=np.float64)
    if len(leads) == 0:
        raise ValueError("need at least one stage")
    if h.ndim != 1 or len(h) != len(leads):
        raise ValueError(f"lead_times ({len(leads)}) and holding_costs ({h.size}) must have the same length")
    if min(leads) < 1:
        raise ValueError(f"all lead times must be >= 1, got {leads}")
    if not np.all(np.isfinite(h)) or np.any(h < 0):
        raise ValueError(f"holding costs must be finite and non-negative, got {h.tolist()}")
    if h[0] <= 0:
        raise ValueError("the store's holding cost must be positive (else the optimum is unbounded stock)")
    echelon = h - np.append(h[1:], 0.0)
    if np.any(echelon < 0):
        raise ValueError(
            f"echelon holding costs h_j - h_(j+1) are {echelon.tolist()}: Clark-Scarf needs holding costs "
            "non-increasing upstream (h_1 >= h_2 >= ... >= h_K)"
        )
    p = float(shortage_cost)
    if not np.isfinite(p) or p <= 0:
        raise ValueError(f"shortage cost must be positive, got {shortage_cost}")
    pmf = np.asarray(demand_pmf, dtype=np.float64)
    if pmf.ndim != 1 or pmf.size == 0 or not np.all(np.isfinite(pmf)) or np.any(pmf < 0):
        raise ValueError("demand_pmf must be a non-empty 1-D array of non-negative probabilities over 0..M")
    if abs(pmf.sum() - 1.0) > 1e-9:
        raise ValueError(f"demand_pmf must sum to 1, sums to {pmf.sum()}")
    return leads, h, p, pmf / pmf.sum()


def _demand_over(pmf: np.ndarray, periods: int, cache: dict[int, np.ndarray]) -> np.ndarray:
    """pmf of the demand of ``periods`` periods (exact convolution power), memoised in ``cache``."""
    if periods not in cache:
        cache[periods] = pmf if periods == 1 else np.convolve(_demand_over(pmf, periods - 1, cache), pmf)
    return cache[periods]


def _expected_shortfall(pmf: np.ndarray, y: np.ndarray) -> np.ndarray:
    """E(D - y)^+ for integer y, D with ``pmf`` over 0..N: sum_{k >= y} P(D > k)."""
    n = len(pmf) - 1
    at_least = np.cumsum(pmf[::-1])[::-1]  # P(D >= k), k = 0..N
    greater = np.append(at_least[1:], 0.0)  # P(D > k)
    tail = np.cumsum(greater[::-1])[::-1]  # sum_{i >= k} P(D > i) = E(D - k)^+
    mean = float(np.arange(n + 1) @ pmf)
    inside = tail[np.clip(y, 0, n)]
    return np.where(y < 0, mean - y, np.where(y > n, 0.0, inside))


def _smallest_minimiser(values: np.ndarray) -> int:
    """First index within a relative 1e-10 of the minimum (flat G_j when e_j = 0)."""
    best = float(values.min())
    return int(np.argmax(values <= best + 1e-10 * (1.0 + abs(best))))


def _recursion(
    leads: list[int], h: np.ndarray, p: float, pmf: np.ndarray, levels: Sequence[int] | None
) -> tuple[tuple[int, ...], float]:
    """Levels (argmins, or the given ``levels``) and G_K(S_K), pipeline charged at upstream rates."""
    k = len(leads)
    echelon = h - np.append(h[1:], 0.0)
    mu = float(np.arange(len(pmf)) @ pmf)
    cache: dict[int, np.ndarray] = {}
    total = np.cumsum(_demand_over(pmf, sum(leads) + 1, cache))
    hi = int(np.searchsorted(total, 1.0 - _QUANTILE_TAIL)) + _MARGIN
    lo_top = -hi
    if levels is not None:
        hi = max(hi, max(levels) + 1)
        lo_top = min(lo_top, min(levels) - 1)
    # lowest grid point of G_j: the grid of G_{j-1} reaches the support of D^(L_j) lower
    lows = [lo_top] * k
    for j in range(k - 1, 0, -1):
        lows[j - 1] = lows[j] - (len(_demand_over(pmf, leads[j], cache)) - 1)

    chosen: list[int] = []
    g = np.empty(0)
    for j in range(k):
        y = np.arange(lows[j], hi + 1)
        if j == 0:
            lead_demand = _demand_over(pmf, leads[0] + 1, cache)
            g = echelon[0] * (y - (leads[0] + 1) * mu) + (p + h[0]) * _expected_shortfall(lead_demand, y)
        else:
            below = g.copy()  # G_{j-1}(min(S_{j-1}, x)) on the grid of G_{j-1}
            below[chosen[-1] - lows[j - 1] :] = g[chosen[-1] - lows[j - 1]]
            g = echelon[j] * (y - (leads[j] + 1) * mu) + np.convolve(below, _demand_over(pmf, leads[j], cache), "valid")
        if levels is None:
            index = _smallest_minimiser(g)
            if index in (0, len(g) - 1):
                raise RuntimeError(f"the minimiser of G_{j + 1} lies on the grid's edge; widen the grid")
            chosen.append(lows[j] + index)
        else:
            chosen.append(int(levels[j]))
    return tuple(chosen), float(g[chosen[-1] - lows[-1]])


def _pipeline_holding(leads: list[int], h: np.ndarray, pmf: np.ndarray) -> float:
    """Average holding cost of units in transit into stage j charged at h_{j+1}: sum h_{j+1} L_j mu."""
    mu = float(np.arange(len(pmf)) @ pmf)
    return float(sum(h[j + 1] * leads[j] * mu for j in range(len(leads) - 1)))


def clark_scarf(
    lead_times: Sequence[int], holding_costs: Sequence[float], shortage_cost: float, demand_pmf: Sequence[float]
) -> SerialOptimum:
    """Optimal echelon base-stock levels and cost; demand iid with ``demand_pmf`` over 0..M."""
    leads, h, p, pmf = _validate(lead_times, holding_costs, shortage_cost, demand_pmf)
    levels, with_pipeline = _recursion(leads, h, p, pmf, None)
    return SerialOptimum(with_pipeline - _pipeline_holding(leads, h, pmf), levels, with_pipeline)


def clark_scarf_poisson(
    mean: float, lead_times: Sequence[int], holding_costs: Sequence[float], shortage_cost: float
) -> SerialOptimum:
    """Poisson(mean) demand per period (pmf truncated where the omitted tail is below 1e-16)."""
    if not mean > 0:
        raise ValueError(f"mean demand must be positive, got {mean}")
    pmf = poisson_pmf(mean)
    return clark_scarf(lead_times, holding_costs, shortage_cost, pmf / pmf.sum())


def serial_base_stock_cost(
    levels: Sequence[int],
    lead_times: Sequence[int],
    holding_costs: Sequence[float],
    shortage_cost: float,
    demand_pmf: Sequence[float],
) -> float:
    """Exact average cost (our convention) of any echelon base-stock policy with integer ``levels``."""
    leads, h, p, pmf = _validate(lead_times, holding_costs, shortage_cost, demand_pmf)
    if len(levels) != len(leads):
        raise ValueError(f"need {len(leads)} levels, got {len(levels)}")
    if any(int(s) != s for s in levels):
        raise ValueError(f"levels must be integers, got {list(levels)}")
    _, with_pipeline = _recursion(leads, h, p, pmf, [int(s) for s in levels])
    return with_pipeline - _pipeline_holding(leads, h, pmf)
