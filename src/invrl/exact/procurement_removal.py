"""Optimal joint ordering and removal with customer returns, by relative value iteration.

Convention (the simulator's, ``systems.procurement_removal``): at the start of period t the
net decision is an order q >= 0 (joins the pipeline, arrives at t + L; L = 0: at once) or a
removal r >= 0, never both; the units due now arrive; the removal (at most the stock on hand
after the arrivals) leaves and earns s per unit; demand D is served (backlog or lost sales);
returns R re-enter stock; the period costs c q - s r + h I^+ + p (I^- or units lost), I the
stock at its end. The objective is the long-run average cost.

State at a decision: y, the net inventory after this period's arrivals (on hand plus
``pipeline[..., 0]``; L = 0: on hand), and p_1, ..., p_{L-1}, the orders due in 1..L-1
periods. With z the level after the decision (z = y when ordering, y - r when removing;
L = 0: y + q or y - r) and the end-of-period stock I(z, D, R):

    V(y, p) + g = min( G(y) + min_q [c q + E V(I(y) + p_1, p_2, ..., q)],          order q
                       min_{1 <= r <= y^+} [-s r + G(y - r) + E V(I(y - r) + p_1, p_2, ..., 0)] )

with G(z) the expected holding and shortage cost (L = 1: the next y is I + q). Each iteration
is one product with the [z, I] transition matrix, a minimum over q, and a prefix minimum
over the removal target z: no loop over states.

Truncation (an approximation that does not bind): y in [min_level, max_level] and orders in
0..max_order; a level that would leave the range is clamped to its edge. Defaults: levels from
-K_D (0 under lost sales) to (L + 1) K_D + 2 K_R, orders up to 2 K_D, with K_D and K_R the
largest demand and return of the pmfs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from invrl.errors import ConfigError, InputError, IntractableError

MAX_STATES = 2_000_000
"""Refuse state spaces beyond this."""
MAX_WORK = 200_000_000
"""Nor levels^2 x orders^L (the multiply-adds of one iteration) beyond this."""
APERIODICITY = 0.8
"""Relative value iteration moves V a share tau of the way to T V each iteration."""


@dataclass(frozen=True)
class ProcurementRemovalOptimum:
    """The optimal long-run average cost and the optimal orders and removals of every state."""

    cost: float
    lead_time: int
    iterations: int
    min_level: int
    """Lowest level y of the tables (lower ones are clamped to it)."""
    max_order: int
    order: np.ndarray = field(repr=False, compare=False)
    """Optimal order indexed by (y - min_level, p_1, ..., p_{L-1})."""
    removal: np.ndarray = field(repr=False, compare=False)
    """Optimal removal, same index (an order and a removal are never both positive)."""
    value: np.ndarray = field(repr=False, compare=False)
    """Relative value of each state, same index."""

    @property
    def levels(self) -> np.ndarray:
        return self.min_level + np.arange(self.order.shape[0])

    def action(self, on_hand: np.ndarray, pipeline: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Optimal (order, removal) for simulator states: ``on_hand`` [B] net inventory at the end of
        the last period, ``pipeline`` [B, L] orders, ``pipeline[:, k]`` due at the start of t + k."""
        on_hand = np.rint(np.asarray(on_hand, dtype=np.float64)).astype(np.int64).reshape(-1)
        pipe = np.rint(np.asarray(pipeline, dtype=np.float64)).astype(np.int64).reshape(len(on_hand), self.lead_time)
        y = on_hand + (pipe[:, 0] if self.lead_time else 0)
        index = (np.clip(y - self.min_level, 0, self.order.shape[0] - 1), *np.clip(pipe[:, 1:], 0, self.max_order).T)
        return self.order[index], self.removal[index]


def _check_pmf(pmf, name: str) -> np.ndarray:
    pmf = np.asarray(pmf, dtype=np.float64)
    if pmf.ndim != 1 or (pmf < 0).any() or abs(pmf.sum() - 1) > 1e-9:
        raise InputError(f"{name} must be a probability vector over 0..K")
    return pmf


def period_model(levels: np.ndarray, demand_pmf: np.ndarray, returns_pmf: np.ndarray, holding_cost: float,
                 shortage_cost: float, lost_sales: bool) -> tuple[np.ndarray, np.ndarray]:
    """(G [z], transition [z, I index]): the expected holding and shortage cost of level z after the
    decision, and the law of the end-of-period stock I on the same grid (clamped to its ends)."""
    n = len(levels)
    cost = np.zeros(n)
    move = np.zeros((n, n))
    rows = np.arange(n)
    for d, pd in enumerate(demand_pmf):
        if not pd:
            continue
        left = np.maximum(levels - d, 0) if lost_sales else levels - d
        for r, pr in enumerate(returns_pmf):
            if not pr:
                continue
            end = left + r
            short = np.maximum(d - levels, 0) if lost_sales else np.maximum(-end, 0)
            cost += pd * pr * (holding_cost * np.maximum(end, 0) + shortage_cost * short)
            np.add.at(move, (rows, np.clip(end - levels[0], 0, n - 1)), pd * pr)
    return cost, move


def procurement_removal_optimum(
    demand_pmf,
    returns_pmf,
    lead_time: int,
    *,
    ordering_cost: float,
    salvage_value: float,
    holding_cost: float,
    shortage_cost: float,
    lost_sales: bool = False,
    allow_removal: bool = True,
    min_level: int | None = None,
    max_level: int | None = None,
    max_order: int | None = None,
    tol: float = 1e-7,
    max_iterations: int = 200_000,
) -> ProcurementRemovalOptimum:
    """Optimal long-run average cost for demand and returns on 0..K with probabilities ``demand_pmf``
    and ``returns_pmf``. Stops when the span of T V - V is below ``tol`` (the cost then within
    tol/2). ``allow_removal=False`` solves the ordinary (order-only) problem with the same returns."""
    pd, pr = _check_pmf(demand_pmf, "demand_pmf"), _check_pmf(returns_pmf, "returns_pmf")
    if lead_time < 0:
        raise InputError(f"the lead time must be >= 0, got {lead_time}")
    kd, kr, lead = len(pd) - 1, len(pr) - 1, int(lead_time)
    low = (0 if lost_sales else -kd) if min_level is None else int(min_level)
    high = (lead + 1) * kd + 2 * kr if max_level is None else int(max_level)
    top = 2 * kd if max_order is None else int(max_order)
    if lost_sales and low < 0:
        raise InputError("under lost sales the stock is never negative: min_level must be >= 0")
    levels = np.arange(low, high + 1)
    n = len(levels)
    pipe_shape = (top + 1,) * max(lead - 1, 0)
    states = n * (top + 1) ** max(lead - 1, 0)
    work = n * n * (top + 1) ** lead if lead else n * n
    if states > MAX_STATES or work > MAX_WORK:
        raise IntractableError(f"procurement-removal DP too large: {states:.2e} states, {work:.2e} operations per "
                               f"iteration (L={lead}, demand up to {kd}); it solves up to {MAX_STATES:.0e} states "
                               f"and {MAX_WORK:.0e} operations")
    stage, move = period_model(levels, pd, pr, holding_cost, shortage_cost, lost_sales)
    expand = (n,) + (1,) * len(pipe_shape)
    stage_y = stage.reshape(expand)
    z_value = levels.reshape(expand).astype(np.float64)
    removable = (levels > 0).reshape(expand) & allow_removal
    order_cost = ordering_cost * np.arange(top + 1)
    arrive = np.clip(np.arange(n)[:, None] + np.arange(top + 1)[None, :], 0, n - 1)  # index of I + p_1 (or I + q)
    zero = int(np.clip(-low, 0, n - 1))  # index of level 0: the lowest removal target
    # L = 0: the level after the decision z, from min(y, 0) (remove all stock) upwards without bound
    if lead == 0:
        y, z = levels[:, None], levels[None, :]
        change = np.where(z >= y, ordering_cost * (z - y), -salvage_value * (y - z))
        allowed = (z >= np.minimum(y, 0)) & (z <= y + top) & ((z >= y) | allow_removal)
        change = np.where(allowed, change, np.inf)

    def bellman(value: np.ndarray):
        if lead == 0:
            total = change + (stage + move @ value)[None, :]
            return total.min(axis=1), total
        upcoming = value[arrive]  # [I, p_1, (p_2, ..., q) or q]: V(I + p_1, p_2, ..., q); L = 1: [I, q]
        expected = np.tensordot(move, upcoming, axes=(1, 0))  # [z, p_1, ..., p_{L-1}, q]
        with_order = expected + order_cost
        ordering = stage_y + with_order.min(axis=-1)
        target = salvage_value * z_value + stage_y + expected[..., 0]  # s z + G(z) + E V(.., 0)
        prefix = np.minimum.accumulate(target[zero:], axis=0)  # min over targets 0..z
        best_below = np.full_like(ordering, np.inf)
        best_below[zero + 1:] = prefix[: n - zero - 1]  # y > 0: targets 0..y-1
        removing = np.where(removable, best_below - salvage_value * z_value, np.inf)
        return np.minimum(ordering, removing), (ordering, removing, with_order, target)

    value = np.zeros((n,) + pipe_shape)
    for iteration in range(1, max_iterations + 1):
        new, parts = bellman(value)
        diff = new - value
        lo, hi = float(diff.min()), float(diff.max())
        if hi - lo < tol:
            break
        value = value + APERIODICITY * (diff - diff.flat[0])
    else:
        raise RuntimeError(f"relative value iteration did not converge in {max_iterations} iterations")

    if lead == 0:
        best = levels[np.argmin(parts, axis=1)]
        order, removal = np.maximum(best - levels, 0), np.maximum(levels - best, 0)
    else:
        ordering, removing, with_order, target = parts
        remove = removing < ordering - 1e-9
        q = np.argmin(with_order, axis=-1)
        # removal target: the lowest z in 0..y-1 attaining the prefix minimum
        targets = np.empty(ordering.shape, dtype=np.int64)
        for i in range(n):
            window = target[zero:max(i, zero)]
            targets[i] = zero + np.argmin(window, axis=0) if len(window) else i
        order = np.where(remove, 0, q)
        removal = np.where(remove, np.arange(n).reshape(expand) - targets, 0)
    return ProcurementRemovalOptimum(0.5 * (lo + hi), lead, iteration, low, top, order.astype(np.int32),
                                     removal.astype(np.int32), value)


def optimum_for(setting: dict) -> dict | None:
    """The optimum of a resolved ``procurement_removal`` setting (the family's ``optimum``): the DP for
    integer demand and returns; None for continuous laws."""
    from invrl.exact.dual_sourcing import demand_pmf

    if "source" in setting["returns"]:
        raise ConfigError("procurement_removal: returns need a synthetic law (distribution), not a data source")
    pd, pr = demand_pmf(setting["demand"]), demand_pmf(setting["returns"])
    if pd is None or pr is None:
        return None
    result = procurement_removal_optimum(
        pd, pr, int(setting["lead_time"]), ordering_cost=float(setting["ordering_cost"]),
        salvage_value=float(setting["salvage_value"]), holding_cost=float(setting["holding_cost"]),
        shortage_cost=float(setting["shortage_cost"]), lost_sales=bool(setting["lost_sales"]),
    )
    return {"optimal_cost": result.cost, "method": "dynamic_programming", "iterations": result.iterations}
