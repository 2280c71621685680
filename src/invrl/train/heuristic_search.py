"""Fit the parameters of classical heuristics: grid search on train, choice on dev.

Every candidate is simulated in one vectorised rollout (samples repeated
once per candidate, a parameter value per row), on common random numbers, so
candidates are compared on identical demand. Grids are in whole units for
integer settings; continuous settings refine the best cell on a finer grid.
The few best candidates on the train paths are then compared on dev.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import torch

from invrl.demand.data import DemandData
from invrl.policies.heuristics import (
    BaseStockPolicy,
    CappedBaseStockPolicy,
    ConstantOrderPolicy,
    MyopicPolicy,
)
from invrl.rollout import rollout
from invrl.systems.single_location import SingleLocation

HEURISTIC_PARAMETERS = {
    "base_stock": ("level",), "capped_base_stock": ("level", "cap"), "constant_order": ("quantity",), "myopic": (),
}
HEURISTICS = tuple(HEURISTIC_PARAMETERS)
MAX_ROWS = 1 << 18  # samples x candidates simulated at once


@dataclass
class FittedHeuristic:
    name: str
    policy: torch.nn.Module
    parameters: dict[str, float]
    search_cost: float
    dev_cost: float
    candidates: int


def _make(name: str, params: dict[str, torch.Tensor], search: DemandData) -> torch.nn.Module:
    if name == "base_stock":
        return BaseStockPolicy(params["level"])
    if name == "capped_base_stock":
        return CappedBaseStockPolicy(params["level"], params["cap"])
    if name == "constant_order":
        return ConstantOrderPolicy(params["quantity"])
    if name == "myopic":
        return MyopicPolicy(search.demand)
    raise ValueError(f"unknown heuristic {name!r}; expected one of {HEURISTICS}")


def candidate_costs(
    system: SingleLocation, name: str, grid: dict[str, torch.Tensor], data: DemandData, warmup: int, round_actions: bool
) -> torch.Tensor:
    """Average cost of each candidate (``grid`` holds ``[K]`` tensors) on the same ``data``."""
    k = next(iter(grid.values())).numel()
    n = data.n_samples
    per_chunk = max(1, MAX_ROWS // n)
    costs = []
    for start in range(0, k, per_chunk):
        stop = min(k, start + per_chunk)
        reps = stop - start
        rows = torch.arange(n).repeat(reps)
        params = {key: v[start:stop].repeat_interleave(n)[:, None].to(data.demand.device) for key, v in grid.items()}
        repeated = replace(data.samples(rows), meta=data.meta)
        with torch.no_grad():
            trajectory = rollout(system.select(rows), _make(name, params, data), repeated, round_actions=round_actions)
        costs.append(trajectory.cost_per_sample(warmup).reshape(reps, n).mean(1))
    return torch.cat(costs)


def _grids(name: str, system: SingleLocation, mean: float, std: float, step: float) -> dict[str, torch.Tensor]:
    lead = int(system.lead_time.max())
    top = (lead + 1) * mean + 5 * std * math.sqrt(lead + 1) + mean
    levels = torch.arange(0.0, top + step, step)
    if name == "base_stock":
        return {"level": levels}
    if name == "capped_base_stock":
        caps = torch.arange(step, 3 * mean + 3 * std + step, step)
        level, cap = torch.meshgrid(levels, caps, indexing="ij")
        return {"level": level.flatten(), "cap": cap.flatten()}
    if name == "constant_order":
        return {"quantity": torch.arange(0.0, 1.5 * mean + step, step / 4)}
    raise ValueError(name)


def _refine(grid: dict[str, torch.Tensor], best: dict[str, float], step: float, points: int = 11) -> dict[str, torch.Tensor]:
    axes = [torch.linspace(best[k] - step, best[k] + step, points).clamp_min(0.0) for k in grid]
    mesh = torch.meshgrid(*axes, indexing="ij")
    return {k: m.flatten() for k, m in zip(grid, mesh)}


def fit_heuristic(
    name: str,
    system: SingleLocation,
    search: DemandData,
    dev: DemandData,
    *,
    search_warmup: int,
    dev_warmup: int,
    round_actions: bool,
    top: int = 5,
) -> FittedHeuristic:
    """Best parameters of heuristic ``name`` on ``search`` (train) paths, chosen among the top few on dev."""
    if name == "myopic":
        policy = _make(name, {}, search)
        with torch.no_grad():
            dev_cost = float(rollout(system.select(slice(None)), policy, dev, round_actions=round_actions).mean_cost(dev_warmup))
        return FittedHeuristic(name, policy, {}, math.nan, dev_cost, 0)
    demand = search.demand
    mean, std = float(demand.mean()), float(demand.std())
    step = 1.0 if round_actions else max(mean / 10, 0.05)
    coarse = 2 * step if len(HEURISTIC_PARAMETERS[name]) > 1 else step  # 2-D grids: coarse first
    grid = _grids(name, system, mean, std, coarse)
    costs = candidate_costs(system, name, grid, search, search_warmup, round_actions)
    tried = costs.numel()
    if coarse > step or not round_actions:  # a finer grid around the best cell
        best = {k: float(v[costs.argmin()]) for k, v in grid.items()}
        points = int(round(2 * coarse / step)) + 1 if round_actions else 11
        grid = _refine(grid, best, coarse, points)
        costs = candidate_costs(system, name, grid, search, search_warmup, round_actions)
        tried += costs.numel()
    order = costs.argsort()[:top]
    shortlist = {k: v[order] for k, v in grid.items()}
    dev_costs = candidate_costs(system, name, shortlist, dev, dev_warmup, round_actions)
    pick = int(dev_costs.argmin())
    params = {k: float(v[pick]) for k, v in shortlist.items()}
    policy = _make(name, {k: torch.tensor(v) for k, v in params.items()}, search)
    return FittedHeuristic(name, policy, params, float(costs[order[pick]]), float(dev_costs[pick]), tried)
