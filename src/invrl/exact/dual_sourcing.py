"""Optimal dual sourcing with an instant expedited supplier (l_e = 0), by relative value iteration.

Convention (the simulator's, ``systems.dual_sourcing``): at the start of
period t both orders are placed; a regular order arrives at the start of
t + l_r, an expedited one (l_e = 0) at once, both before period t's demand;
unmet demand is backlogged. The period costs c_r q_r + c_e q_e + h I^+ + b I^-
with I the net inventory at its end. The objective is the long-run average cost.

State before ordering: y, the net inventory plus the regular order due now
(the expedited inventory position), and (p_1, ..., p_{l_r-1}), the regular
orders due in 1..l_r-1 periods. Expediting raises y to y' >= y; the regular
order q joins the end. With G(y') = h E(y'-D)^+ + b E(D-y')^+,

    V(y, p) + g = min_{y' >= y} [c_e (y' - y) + G(y') + U(y' + p_1, p_2, ..., p_{l_r-1})],
    U(x, p_2, ...) = min_q [c_r q + E V(x - D, p_2, ..., p_{l_r-1}, q)]

(for l_r = 1: U(y') = min_q [c_r q + E V(y' + q - D)]). Splitting the two
decisions makes each iteration a convolution with the demand pmf, a minimum
over q, a gather and a suffix minimum over y': no loop over states.

Truncation (an approximation that does not bind): y in [min_position,
max_position] and regular orders in 0..max_order; a position that would
leave the range is clamped to its edge. The optimal policy expedites any
shortfall at once and orders at most about one period's demand regular, so
its recurrent states lie well inside the defaults; widening them changes
neither the cost nor the policy (the tests check this).

Böttcher, Asikis and Fragkos (2023) report the optima of uniform {0..4}
demand, h = 5, b = 495, c_r = 0, l_e = 0, l_r = 2..4, c_e = 5, 10, 20; this
solver reproduces all nine to within 0.008 (theirs overstate by 0.002-0.008),
each in well under a second.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from invrl.errors import InputError, IntractableError
from invrl.exact.newsvendor import discrete_costs

MAX_STATES = 20_000_000
"""Refuse state spaces beyond this (each iteration touches every state a few times)."""


@dataclass(frozen=True)
class DualSourcingOptimum:
    """The optimal long-run average cost and the optimal orders of every state."""

    cost: float
    regular_lead_time: int
    iterations: int
    min_position: int
    """Lowest expedited inventory position y of the tables (lower ones are clamped to it)."""
    max_order: int
    expedite: np.ndarray = field(repr=False, compare=False)
    """Optimal expedited order indexed by (y - min_position, p_1, ..., p_{l_r-1})."""
    regular: np.ndarray = field(repr=False, compare=False)
    """Optimal regular order, same index."""

    def order(self, on_hand: np.ndarray, pipeline: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Optimal (regular, expedited) integer orders for states in the simulator's layout:
        ``on_hand`` [B] net inventory at the end of the last period, ``pipeline`` [B, l_r]
        regular orders, ``pipeline[:, k]`` due at the start of period t + k."""
        on_hand = np.rint(np.asarray(on_hand, dtype=np.float64)).astype(np.int64).reshape(-1)
        pipe = np.rint(np.asarray(pipeline, dtype=np.float64)).astype(np.int64).reshape(len(on_hand), -1)
        if pipe.shape[1] != self.regular_lead_time:
            raise ValueError(f"pipeline has {pipe.shape[1]} slots, the regular lead time is {self.regular_lead_time}")
        y = np.clip(on_hand + pipe[:, 0] - self.min_position, 0, self.expedite.shape[0] - 1)
        index = (y, *np.clip(pipe[:, 1:], 0, self.max_order).T)
        return self.regular[index], self.expedite[index]


def _shift_rows(value: np.ndarray, pmf: np.ndarray) -> np.ndarray:
    """E V(x - D, ...) along axis 0, positions below the range clamped to its bottom."""
    out = pmf[0] * value
    for d in range(1, len(pmf)):
        if pmf[d]:
            shifted = np.concatenate([np.repeat(value[:1], d, axis=0), value[:-d]], axis=0)
            out = out + pmf[d] * shifted
    return out


def dual_sourcing_optimum(
    pmf,
    regular_lead_time: int,
    expedited_cost: float,
    regular_cost: float = 0.0,
    holding_cost: float = 5.0,
    shortage_cost: float = 495.0,
    *,
    tol: float = 1e-7,
    min_position: int | None = None,
    max_position: int | None = None,
    max_order: int | None = None,
    max_iterations: int = 200_000,
) -> DualSourcingOptimum:
    """Optimal long-run average cost of backlogged dual sourcing with l_e = 0 and demand on 0..K with
    probabilities ``pmf``. Stops when the span of V_{n+1} - V_n is below ``tol`` (the cost is then
    within tol/2). Defaults: positions from -K to (l_r + 2) K, regular orders up to 2K."""
    pmf = np.asarray(pmf, dtype=np.float64)
    if regular_lead_time < 1:
        raise InputError(f"the regular lead time must be >= 1 (the expedited one is 0), got {regular_lead_time}")
    if pmf.ndim != 1 or (pmf < 0).any() or abs(pmf.sum() - 1) > 1e-9:
        raise InputError("pmf must be a probability vector over demands 0..K")
    k = len(pmf) - 1
    low = -k if min_position is None else int(min_position)
    high = (regular_lead_time + 2) * k if max_position is None else int(max_position)
    top = 2 * k if max_order is None else int(max_order)
    lead = regular_lead_time
    positions = np.arange(low, high + 1)
    n_y = len(positions)
    states = n_y * (top + 1) ** (lead - 1)
    if states > MAX_STATES:
        raise IntractableError(f"dual-sourcing DP too large: {states:.2e} states (l_r={lead}, demand up to {k}); "
                               f"it solves up to {MAX_STATES:.0e}")

    # F(y', p) = c_e y' + G(y') + U(y' + p_1, p_2, ...); V(y, p) = min_{y' >= y} F(y', p) - c_e y
    expedite_cost = (expedited_cost * positions).reshape((n_y,) + (1,) * (lead - 1))
    stage = discrete_costs(pmf, positions, shortage_cost, holding_cost).reshape(expedite_cost.shape) + expedite_cost
    pipe_shape = (top + 1,) * (lead - 1)
    order_cost = regular_cost * np.arange(top + 1)
    # y' + p_1 (l_r >= 2) or y' + q (l_r = 1), clamped to the range: a gather index along axis 0
    arrive = np.clip(np.arange(n_y)[:, None] + np.arange(top + 1)[None, :], 0, n_y - 1)

    def bellman(value: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        expected = _shift_rows(value, pmf)  # axis 0: x; the others: (p_2, ..., p_{l_r-1}, q)
        if lead >= 2:
            with_order = expected + order_cost
            future = with_order.min(axis=-1)[arrive]  # U(y' + p_1, p_2, ...)
        else:
            with_order = expected[arrive] + order_cost
            future = with_order.min(axis=-1)  # U(y')
        total = stage + future
        best = np.flip(np.minimum.accumulate(np.flip(total, 0), axis=0), 0)
        return best - expedite_cost, total, with_order

    value = np.zeros((n_y,) + pipe_shape)
    for iteration in range(1, max_iterations + 1):
        new, total, with_order = bellman(value)
        diff = new - value
        lo, hi = float(diff.min()), float(diff.max())
        if hi - lo < tol:
            break
        value = new - new.flat[0]
    else:
        raise RuntimeError(f"relative value iteration did not converge in {max_iterations} iterations")

    # the policy: smallest y' >= y attaining the minimum, then the best regular order at y' + p_1
    best_level = np.empty(total.shape, dtype=np.int64)
    for i in range(n_y):
        best_level[i] = i + np.argmin(total[i:], axis=0)
    expedite = best_level - np.arange(n_y).reshape((n_y,) + (1,) * (lead - 1))
    q_best = np.argmin(with_order, axis=-1)  # lead >= 2: [x, p_2...]; lead 1: [y']
    if lead >= 2:
        x = np.clip(best_level + np.arange(top + 1).reshape((1, top + 1) + (1,) * (lead - 2)), 0, n_y - 1)
        regular = q_best[(x, *np.indices(x.shape)[2:])]
    else:
        regular = q_best[best_level]
    return DualSourcingOptimum(0.5 * (lo + hi), lead, iteration, low, top, expedite.astype(np.int32), regular.astype(np.int32))


def uniform_pmf(low: int, high: int) -> np.ndarray:
    """Discrete uniform demand on low..high as probabilities over 0..high."""
    pmf = np.zeros(high + 1)
    pmf[low:] = 1.0 / (high - low + 1)
    return pmf


def truncated_pmf(probabilities, tail: float = 1e-12) -> np.ndarray:
    """Cut an infinite pmf where the remaining tail is below ``tail``; the tail joins the last point."""
    p = np.asarray(probabilities, dtype=np.float64)
    cdf = np.cumsum(p)
    k = int(np.searchsorted(cdf, 1 - tail))
    out = p[: k + 1].copy()
    out[-1] += max(0.0, 1 - out.sum())
    return out



def demand_pmf(law: dict) -> np.ndarray | None:
    """Probabilities of demand 0..K of a setting's integer law (Poisson and negative binomial cut where
    the tail is below 1e-12), None for continuous laws."""
    if law["distribution"] == "uniform":
        return uniform_pmf(int(law["low"]), int(law["high"]))
    if law["distribution"] == "poisson":
        dist = stats.poisson(float(law["mean"]))
    elif law["distribution"] == "negative_binomial":
        r = float(law["dispersion"])
        dist = stats.nbinom(r, r / (r + float(law["mean"])))
    else:
        return None
    return truncated_pmf(dist.pmf(np.arange(int(dist.ppf(1 - 1e-13)) + 2)))


def optimum_for(setting: dict) -> dict | None:
    """The optimum of a resolved ``dual_sourcing`` setting (the family's ``optimum``): the DP for
    backlog, an instant expedited supplier and integer demand; None otherwise."""
    pmf = demand_pmf(setting["demand"])
    if pmf is None or setting["lost_sales"] or setting["expedited_lead_time"] != 0:
        return None
    result = dual_sourcing_optimum(
        pmf, int(setting["regular_lead_time"]), float(setting["expedited_cost"]), float(setting["regular_cost"]),
        float(setting["holding_cost"]), float(setting["shortage_cost"]),
    )
    return {"optimal_cost": result.cost, "method": "dynamic_programming", "iterations": result.iterations}
