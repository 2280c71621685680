"""Fit the parameters of classical heuristics: grid search on train, choice on dev.

Every candidate is simulated in one vectorised rollout (samples repeated
once per candidate, a parameter value per row), on common random numbers, so
candidates are compared on identical demand. Grids are in whole units for
integer settings; continuous settings refine the best cell on a finer grid.
The few best candidates on the train paths are then compared on dev.

``per_sample`` fits each sample (each real series and location) its own
parameters on its own cost, with grids in units of its mean demand: the
per-series base-stock of real data. A heuristic whose parameters are
computed exactly (``Heuristic.compute``) is evaluated on dev, not searched.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import torch

from invrl.demand.data import DemandData
from invrl.errors import InvrlError
from invrl.policies.registry import Heuristic
from invrl.rollout import rollout
from invrl.systems.base import System
from invrl.train.method import TRAINING_METHODS, Fitted, Problem, TrainingMethod

MAX_ROWS = 1 << 18  # samples x candidates simulated at once


@dataclass(frozen=True)
class HeuristicSearchConfig:
    per_sample: bool = False
    """Fit every sample (real series x location) its own parameters instead of one set for all."""
    shortlist: int = 5
    """Best candidates on the train paths that are compared on dev."""
    candidates: int = 41
    """per_sample: grid points per parameter, from 0 to the heuristic's top value in units of mean demand."""


def candidate_costs(
    system: System, heuristic: Heuristic, grid: dict[str, torch.Tensor], data: DemandData, warmup: int,
    round_actions: bool, per_sample: bool = False,
) -> torch.Tensor:
    """Average cost of each candidate on the same ``data``: ``[K]`` (``grid`` holds ``[K]`` tensors), or
    per sample and location ``[K, S, N]`` with ``per_sample`` (``grid`` holds ``[K]`` or ``[K, S, N]`` tensors)."""
    k = next(iter(grid.values())).shape[0]
    n = data.n_samples
    per_chunk = max(1, MAX_ROWS // n)
    costs = []
    for start in range(0, k, per_chunk):
        stop = min(k, start + per_chunk)
        reps = stop - start
        rows = torch.arange(n).repeat(reps)
        params = {
            key: (v[start:stop].repeat_interleave(n)[:, None] if v.dim() == 1 else v[start:stop].reshape(reps * n, -1))
            .to(data.demand.device)
            for key, v in grid.items()
        }
        repeated = replace(data.samples(rows), meta=data.meta, features=None, feature_names=())
        with torch.no_grad():
            trajectory = rollout(system.select(rows), heuristic.build(params, data), repeated, round_actions=round_actions)
        if per_sample:
            costs.append(trajectory.cost[..., warmup:].mean(-1).reshape(reps, n, -1))
        else:
            costs.append(trajectory.cost_per_sample(warmup).reshape(reps, n).mean(1))
    return torch.cat(costs)


def _refine(grid: dict[str, torch.Tensor], best: dict[str, float], step: float, points: int = 11) -> dict[str, torch.Tensor]:
    axes = [torch.linspace(best[k] - step, best[k] + step, points).clamp_min(0.0) for k in grid]
    mesh = torch.meshgrid(*axes, indexing="ij")
    return {k: m.flatten() for k, m in zip(grid, mesh)}


def search_common(problem: Problem, heuristic: Heuristic, shortlist: int) -> tuple[dict[str, float], float, float, int]:
    """One parameter set for every sample: (parameters, search cost, dev cost, candidates tried)."""
    search, search_warmup = problem.search()
    system, round_actions = problem.system, problem.round_actions
    demand = search.demand
    mean, std = float(demand.mean()), float(demand.std())
    step = 1.0 if round_actions else max(mean / 10, 0.05)
    names = heuristic.grid(system, mean, std, step)
    coarse = 2 * step if len(names) > 1 else step  # 2-D grids: coarse first
    grid = heuristic.grid(system, mean, std, coarse)
    costs = candidate_costs(system, heuristic, grid, search, search_warmup, round_actions)
    tried = costs.numel()
    if coarse > step or not round_actions:  # a finer grid around the best cell
        best = {k: float(v[costs.argmin()]) for k, v in grid.items()}
        points = int(round(2 * coarse / step)) + 1 if round_actions else 11
        grid = _refine(grid, best, coarse, points)
        costs = candidate_costs(system, heuristic, grid, search, search_warmup, round_actions)
        tried += costs.numel()
    order = costs.argsort()[:shortlist]
    chosen = {k: v[order] for k, v in grid.items()}
    dev_costs = candidate_costs(system, heuristic, chosen, problem.dev, problem.dev_warmup, round_actions)
    pick = int(dev_costs.argmin())
    return {k: float(v[pick]) for k, v in chosen.items()}, float(costs[order[pick]]), float(dev_costs[pick]), tried


def search_per_sample(problem: Problem, heuristic: Heuristic, options: HeuristicSearchConfig):
    """Parameters ``[S, N]`` per sample and location, each on its own train cost (grid in units of
    its mean demand, refined once around its best cell), the shortlist compared on its dev cost:
    (parameters, dev cost, candidates tried)."""
    train, warmup, system = problem.train, problem.train_warmup, problem.system
    scale = system.demand_mean.expand(train.n_samples, train.n_locations)  # [S, N]
    cv = float((train.demand.std(-1) / scale).median())
    unit = heuristic.grid(system, 1.0, cv, 1.0 / (options.candidates - 1))  # values per unit of mean demand
    if len(unit) > 1:
        raise InvrlError(f"the per-sample search fits one-parameter heuristics; {heuristic.name} has {sorted(unit)}")
    grid = {k: v[:, None, None] * scale for k, v in unit.items()}  # [K, S, N]
    costs = candidate_costs(system, heuristic, grid, train, warmup, False, per_sample=True)
    tried = costs.numel()
    best = costs.argmin(0, keepdim=True)  # [1, S, N]
    around = torch.linspace(-1.0, 1.0, 11)[:, None, None]
    width = {k: float(v[1] - v[0]) for k, v in unit.items()}
    grid = {k: (v.gather(0, best) + around * width[k] * scale).clamp_min(0.0) for k, v in grid.items()}
    costs = candidate_costs(system, heuristic, grid, train, warmup, False, per_sample=True)
    tried += costs.numel()
    order = costs.argsort(0)[: options.shortlist]  # [top, S, N]
    chosen = {k: v.gather(0, order) for k, v in grid.items()}
    dev_costs = candidate_costs(system, heuristic, chosen, problem.dev, problem.dev_warmup, False, per_sample=True)
    pick = dev_costs.argmin(0, keepdim=True)
    return {k: v.gather(0, pick)[0] for k, v in chosen.items()}, float(dev_costs.gather(0, pick).mean()), tried


def fit_heuristic(problem: Problem, heuristic: Heuristic, options: HeuristicSearchConfig, *, seed: int = 0,
                  checkpoint=None, progress: bool = False) -> Fitted:
    """Best parameters of ``heuristic`` on the train paths, chosen among the top few on dev
    (deterministic: ``seed`` is unused, the search has no randomness of its own)."""
    start = time.perf_counter()
    pool, dev_cost, tried = problem.train, None, 0
    if heuristic.compute is not None:
        parameters = heuristic.compute(problem.setting, problem.system)
        tensors = {k: torch.as_tensor(v, dtype=torch.float32) for k, v in parameters.items()}
    elif heuristic.grid is None:  # nothing to search; the policy reads the training demand
        parameters, tensors = {}, {}
        pool, _ = problem.search()
    elif options.per_sample:
        tensors, dev_cost, tried = search_per_sample(problem, heuristic, options)
        parameters = {k: v.tolist() for k, v in tensors.items()}
    else:
        parameters, _, dev_cost, tried = search_common(problem, heuristic, options.shortlist)
        tensors = {k: torch.tensor(v) for k, v in parameters.items()}
    policy = heuristic.build(tensors, pool).to(problem.train.demand.device)
    if dev_cost is None:
        with torch.no_grad():
            trajectory = rollout(problem.system.select(slice(None)), policy, problem.dev, round_actions=problem.round_actions)
        dev_cost = float(trajectory.cost_per_sample(problem.dev_warmup).double().mean())
    return Fitted(policy=policy, dev_cost=dev_cost, steps=tried, wall_time_s=time.perf_counter() - start,
                  parameters=parameters)


TRAINING_METHODS.register("heuristic", TrainingMethod("heuristic", HeuristicSearchConfig, fit_heuristic, learned=False))
