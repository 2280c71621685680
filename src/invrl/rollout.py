"""The one loop over periods, shared by training, evaluation, audits and backtests."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from invrl.demand.data import DemandData
from invrl.systems.base import State, System


class InfeasibleActionError(RuntimeError):
    """A policy returned an action the system cannot carry out."""


@dataclass
class Trajectory:
    cost: torch.Tensor
    """Cost per sample, location and period ``[B, N, T]``."""
    final_state: State
    record: dict[str, torch.Tensor] | None = None
    """With ``record=True``: actions, on-hand and flows stacked over periods (last axis)."""
    totals: dict[str, torch.Tensor] | None = None
    """With ``totals_from=w``: each flow (and demand) summed over periods t >= w, ``[B, N]``."""
    n_stores: int = 0
    """The reporting unit: costs are per period per store (0: per location of ``cost``)."""

    def mean_cost(self, warmup: int) -> torch.Tensor:
        """Cost per period per store after the warm-up, averaged over samples."""
        return self.cost_per_sample(warmup).mean()

    def cost_per_sample(self, warmup: int) -> torch.Tensor:
        cost = self.cost[..., warmup:]
        if not self.n_stores or self.n_stores == cost.shape[1]:
            return cost.mean(dim=(1, 2))
        return cost.sum(1).mean(-1) / self.n_stores


def rollout(
    system: System,
    policy,
    demand: DemandData,
    *,
    state: State | None = None,
    round_actions: bool = False,
    record: bool = False,
    totals_from: int | None = None,
    tolerance: float = 1e-4,
) -> Trajectory:
    """Run ``policy`` on ``system`` over every period of ``demand``.

    ``system`` must already be restricted to the samples of ``demand``.
    ``round_actions`` rounds orders to whole units (evaluation of integer
    settings; it has no gradient). Feasibility is checked once, after the loop.
    """
    d = demand.demand
    batch, _, periods = d.shape
    state = system.initial_state(batch) if state is None else state
    costs, violation = [], torch.zeros((), device=d.device)
    recorded: dict[str, list] = {}
    totals: dict[str, torch.Tensor] = {}
    for t in range(periods):
        features = None if demand.features is None else demand.features[:, :, t]
        action = policy(system.observe(state, t, features))
        if round_actions:
            action = system.round_action(action)
        if record:
            recorded.setdefault("on_hand", []).append(state.on_hand)
        state, cost, info = system.step(state, action, d[:, :, t])
        costs.append(cost)
        if totals_from is not None and t >= totals_from:
            for name, value in {"demand": d[:, :, t], **info}.items():  # a system may report the demand it served
                if name != "violation":
                    totals[name] = totals[name] + value if name in totals else value
        violation = violation + info["violation"]
        if record:
            for name, value in info.items():
                if name != "violation":
                    recorded.setdefault(name, []).append(value)
            recorded.setdefault("action", []).append(action)
    if float(violation) > tolerance:
        raise InfeasibleActionError(f"policy {type(policy).__name__} broke feasibility by {float(violation):.4g} units in total")
    stacked = {k: torch.stack(v, dim=-1) for k, v in recorded.items()} if record else None
    return Trajectory(
        cost=torch.stack(costs, dim=-1), final_state=state, record=stacked, totals=totals if totals_from is not None else None,
        n_stores=system.n_stores,
    )
