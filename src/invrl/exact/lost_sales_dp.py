"""Optimal lost-sales policy with Poisson demand by relative value iteration.

State before ordering: y, the stock available this period (on hand plus
today's arrival), and q_1..q_{L-1}, the orders due in 1..L-1 periods. The
order a placed now is due in L periods. Bellman equation for the average
cost g:  V(y, q) + g = c(y) + min_a E V((y - D)^+ + q_1, q_2, ..., q_{L-1}, a),
with c(y) = h E(y - D)^+ + p E(D - y)^+. The expectation over D is a matrix
product: P((y - D)^+ = j) is a [Y, Y] matrix applied to V shifted by q_1.

Truncation: stock is capped at a level whose Poisson tail beyond the
lead-time demand is negligible, and orders at a cap above what the optimal
policy uses (if the optimal order ever reaches the cap, the solver
doubles it and solves again). Reproduces Zipkin (2008) to two decimals.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from invrl.exact.newsvendor import expected_cost_discrete, newsvendor_poisson, poisson_pmf


@dataclass(frozen=True)
class LostSalesOptimum:
    cost: float
    lead_time: int
    max_inventory: int
    iterations: int
    orders: np.ndarray = field(repr=False)
    """Optimal order indexed by (y, q_1, ..., q_{L-1}); for L = 0, the order-up-to level as a 0-d array."""

    def order(self, on_hand: np.ndarray, pipeline: np.ndarray) -> np.ndarray:
        """Optimal integer orders for states in the simulator's layout.

        ``pipeline[:, k]`` is due at the start of period t + k (k = 0..L-1),
        so the available stock is on_hand + pipeline[:, 0].
        """
        on_hand = np.asarray(on_hand, dtype=int)
        if self.lead_time == 0:
            return np.clip(int(self.orders) - on_hand, 0, None)
        pipeline = np.asarray(pipeline, dtype=int)
        y = np.clip(on_hand + pipeline[:, 0], 0, self.max_inventory)
        cap = self.orders.shape[1] - 1 if self.lead_time > 1 else None
        rest = [np.clip(pipeline[:, k], 0, cap) for k in range(1, self.lead_time)]
        return self.orders[(y, *rest)]


def _bellman(V: np.ndarray, M: np.ndarray, shift: np.ndarray, c: np.ndarray, lead_time: int, n_orders: int):
    y_levels = V.shape[0]
    flat = V.reshape(y_levels, -1)  # [Y, R]: R runs over (q_2, ..., q_{L-1}, a)
    expect = np.matmul(M[None], flat[shift])  # [Q1, Y, R]: E V(min((y-D)^+ + q1, Ymax), ...)
    expect = np.moveaxis(expect, 0, 1).reshape((y_levels,) + (n_orders,) * lead_time)
    best = expect.argmin(axis=-1)
    return c.reshape((-1,) + (1,) * (lead_time - 1)) + expect.min(axis=-1), best


def lost_sales_optimum(
    mean: float,
    lead_time: int,
    shortage_cost: float,
    holding_cost: float = 1.0,
    *,
    tol: float = 1e-7,
    max_iterations: int = 20000,
    order_cap: int | None = None,
) -> LostSalesOptimum:
    if lead_time == 0:
        nv = newsvendor_poisson(mean, shortage_cost, holding_cost)
        return LostSalesOptimum(nv.cost, 0, int(nv.level), 0, np.array(int(nv.level)))
    ratio = shortage_cost / (shortage_cost + holding_cost)
    # no sensible policy holds more than the backlog base-stock level over L+1 periods plus a margin
    y_max = int(stats.poisson(mean * (lead_time + 1)).ppf(ratio)) + int(3 * np.sqrt(mean)) + 2
    order_cap = order_cap or int(stats.poisson(mean).isf(1e-4)) + 1
    pmf = poisson_pmf(mean)
    y = np.arange(y_max + 1)
    c = expected_cost_discrete(pmf, y, shortage_cost, holding_cost)
    # M[y, j] = P((y - D)^+ = j)
    M = np.zeros((y_max + 1, y_max + 1))
    padded = np.concatenate([pmf, np.zeros(max(0, y_max + 1 - len(pmf)))])
    for level in y:
        M[level, 1 : level + 1] = padded[:level][::-1]
        M[level, 0] = 1.0 - padded[:level].sum()
    shift = np.minimum(np.arange(order_cap + 1)[:, None] + y[None, :], y_max)  # [q1, j]
    V = np.zeros((y_max + 1,) + (order_cap + 1,) * (lead_time - 1))
    for iteration in range(1, max_iterations + 1):
        new, best = _bellman(V, M, shift, c, lead_time, order_cap + 1)
        diff = new - V
        lo, hi = float(diff.min()), float(diff.max())
        V = new - new.flat[0]
        if hi - lo < tol:
            break
    if best.max() >= order_cap:  # the cap binds somewhere: solve again with room to spare
        return lost_sales_optimum(mean, lead_time, shortage_cost, holding_cost, tol=tol,
                                  max_iterations=max_iterations, order_cap=2 * order_cap)
    return LostSalesOptimum(0.5 * (lo + hi), lead_time, y_max, iteration, best)
