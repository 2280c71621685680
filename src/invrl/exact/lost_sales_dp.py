"""Optimal lost-sales policy with Poisson demand, by relative value iteration.

Convention (the simulator's): an order placed at the start of period t
arrives at the start of t + L and serves period t + L's demand (L = 0:
immediate). Holding cost h per unit left at the end of a period, shortage
cost p per unit lost; the objective is the long-run average cost.

State before ordering, L >= 1: (y, q_1, ..., q_{L-1}) with y the stock
available this period (on hand plus today's arrival) and q_k the order due in
k periods. The order a joins the end, so with c(y) = h E(y-D)^+ + p E(D-y)^+

    V(y, q) + g = c(y) + min_a E V((y - D)^+ + q_1, q_2, ..., q_{L-1}, a).

For L = 0 the state is the stock on hand x and a brings it to y = x + a.

Truncation (exact, not an approximation): Morton (1971) shows that the
optimal lost-sales order never exceeds what the optimal backlog base-stock
policy would order, a* <= (S_b - y - q_1 - ... - q_{L-1})^+, with S_b the
smallest S with P(Poisson((L+1) mean) <= S) >= p/(p+h). Restricting orders to
that bound keeps every state inside the simplex y + sum q <= S_b, so the
truncated chain is closed and its optimum is the true optimum; outside the
simplex the optimal order is 0. No demand truncation is needed: from
available stock y the next on-hand (y - D)^+ takes values 0..y with exact
probabilities. (The tests check that a larger cap gives the same cost.)

The Bellman operator is one sparse matrix product (rows: state-order pairs,
columns: next states, entries: P((y-D)^+ = j)) plus a segmented minimum.
Its size grows like C(S_b + L + 2, L + 2): fine for mean 5 and L <= 4.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse, stats

from invrl.errors import InputError, IntractableError
from invrl.exact.backlog import backlog_optimum_poisson
from invrl.exact.newsvendor import poisson_costs

MAX_TRANSITIONS = 200_000_000
"""Refuse problems whose transition matrix would need more than a few GB."""


@dataclass(frozen=True)
class LostSalesOptimum:
    """The optimal long-run average cost and the optimal order of every state."""

    cost: float
    lead_time: int
    max_inventory: int
    """Truncation: states with y + q_1 + ... + q_{L-1} > max_inventory order 0."""
    iterations: int
    orders: np.ndarray = field(repr=False, compare=False)
    """Optimal order indexed by (y, q_1, ..., q_{L-1}) for L >= 1, by on-hand x for L = 0."""

    def order(self, on_hand: np.ndarray, pipeline: np.ndarray | None = None) -> np.ndarray:
        """Optimal integer orders for a batch of states in the simulator's layout.

        ``on_hand`` [B]: stock at the end of the previous period; ``pipeline``
        [B, L]: ``pipeline[:, k]`` arrives at the start of period t + k, so
        the available stock is on_hand + pipeline[:, 0].
        """
        on_hand = np.rint(np.asarray(on_hand, dtype=np.float64)).astype(np.int64).reshape(-1)
        if self.lead_time == 0:
            state = on_hand[:, None]
        else:
            pipe = np.rint(np.asarray(pipeline, dtype=np.float64)).astype(np.int64).reshape(len(on_hand), -1)
            if pipe.shape[1] != self.lead_time:
                raise ValueError(f"pipeline has {pipe.shape[1]} slots, lead time is {self.lead_time}")
            state = np.concatenate([(on_hand + pipe[:, 0])[:, None], pipe[:, 1:]], axis=1)
        if (state < 0).any():
            raise ValueError("lost-sales states are nonnegative")
        inside = state.sum(axis=1) <= self.max_inventory
        index = tuple(np.minimum(state, self.max_inventory).T)
        return np.where(inside, self.orders[index], 0)


def _simplex(dims: int, total: int) -> np.ndarray:
    """All nonnegative integer vectors of length ``dims`` with sum <= total, [n, dims]."""
    points = np.zeros((1, 0), dtype=np.int64)
    for _ in range(dims):
        room = total - points.sum(axis=1)
        parent = np.repeat(np.arange(len(points)), room + 1)
        value = np.arange(len(parent)) - np.repeat(np.cumsum(room + 1) - (room + 1), room + 1)
        points = np.concatenate([points[parent], value[:, None]], axis=1)
    return points


def _codes(points: np.ndarray, base: int) -> np.ndarray:
    """Mixed-radix code with the first coordinate least significant."""
    return points @ (base ** np.arange(points.shape[1], dtype=np.int64))


def _segment_offsets(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(owner, offset): for every element, its segment and its position within it."""
    owner = np.repeat(np.arange(len(counts)), counts)
    starts = np.cumsum(counts) - counts
    return owner, np.arange(len(owner)) - starts[owner]


def _stock_transition(mean: float, cap: int) -> np.ndarray:
    """M[y, j] = P((y - D)^+ = j) for Poisson D, y, j in 0..cap (exact, no tail cut)."""
    law = stats.poisson(mean)
    y, j = np.meshgrid(np.arange(cap + 1), np.arange(cap + 1), indexing="ij")
    return np.where(j > y, 0.0, np.where(j == 0, law.sf(y - 1), law.pmf(y - j)))


def _model(mean: float, lead_time: int, cap: int, shortage_cost: float, holding_cost: float):
    """States, state-order pairs and the sparse transition matrix of the truncated MDP."""
    base = cap + 1
    states = _simplex(max(lead_time, 1), cap)
    codes = _codes(states, base)

    n_orders = cap - states.sum(axis=1) + 1
    pair_state, pair_order = _segment_offsets(n_orders)
    if lead_time == 0:
        pair_y = states[pair_state, 0] + pair_order
        tail_code = np.zeros(len(pair_state), dtype=np.int64)
    else:
        pair_y = states[pair_state, 0]
        tail = np.concatenate([states[pair_state, 1:], pair_order[:, None]], axis=1)
        tail_code = _codes(tail, base)

    # next state: first coordinate j = (y - D)^+ added to the tail's first coordinate
    trip_pair, j = _segment_offsets(pair_y + 1)
    weight = _stock_transition(mean, cap)[pair_y[trip_pair], j]
    lookup = np.full(base ** states.shape[1], -1, dtype=np.int64)  # code -> state index
    lookup[codes] = np.arange(len(codes))
    columns = lookup[tail_code[trip_pair] + j]
    indptr = np.concatenate([[0], np.cumsum(pair_y + 1)])
    transition = sparse.csr_matrix((weight, columns, indptr), shape=(len(pair_y), len(states)))
    pair_cost = poisson_costs(mean, pair_y, shortage_cost, holding_cost)
    pair_start = np.cumsum(n_orders) - n_orders
    return states, pair_order, pair_start, pair_cost, transition


def lost_sales_optimum(
    mean: float,
    lead_time: int,
    shortage_cost: float,
    holding_cost: float = 1.0,
    *,
    tol: float = 1e-6,
    max_inventory: int | None = None,
    max_iterations: int = 100_000,
) -> LostSalesOptimum:
    """Optimal long-run average cost of the lost-sales system with Poisson(mean) demand.

    Relative value iteration stops when the span of V_{n+1} - V_n is below
    ``tol``; the cost (mid-point of the span) is then within tol/2 of the
    optimum. ``max_inventory`` defaults to Morton's bound S_b (see module doc);
    a smaller value is an approximation, a larger one only costs time.
    """
    if lead_time < 0:
        raise InputError(f"lead_time must be >= 0, got {lead_time}")
    if not mean > 0:
        raise InputError(f"demand mean must be > 0, got {mean}")
    cap = int(backlog_optimum_poisson(mean, lead_time, shortage_cost, holding_cost).level)
    cap = cap if max_inventory is None else int(max_inventory)
    size = math.comb(cap + max(lead_time, 1) + 2, max(lead_time, 1) + 2)  # transition entries
    if size > MAX_TRANSITIONS:
        raise IntractableError(
            f"lost-sales DP too large: {size:.2e} transition entries (mean {mean}, L={lead_time}, cap {cap}); "
            f"it solves up to {MAX_TRANSITIONS:.0e} (with Poisson(5) demand: lead times up to 5 at any p up to 39)")
    states, pair_order, pair_start, pair_cost, transition = _model(mean, lead_time, cap, shortage_cost, holding_cost)

    value = np.zeros(len(states))
    for iteration in range(1, max_iterations + 1):
        pair_value = pair_cost + transition @ value
        new = np.minimum.reduceat(pair_value, pair_start)
        diff = new - value
        low, high = float(diff.min()), float(diff.max())
        if high - low < tol:
            break
        value = new - new[0]
    else:
        raise RuntimeError(f"relative value iteration did not converge in {max_iterations} iterations")

    # greedy orders: the smallest order attaining the minimum
    n_orders = np.diff(np.append(pair_start, len(pair_value)))
    is_best = pair_value <= np.repeat(new, n_orders)
    best = np.minimum.reduceat(np.where(is_best, pair_order, np.iinfo(np.int64).max), pair_start)
    shape = (cap + 1,) * max(lead_time, 1)
    orders = np.zeros(shape, dtype=np.int32)
    orders[tuple(states.T)] = best
    return LostSalesOptimum(0.5 * (low + high), lead_time, cap, iteration, orders)
