"""Classical single-location heuristics of operations research.

Each has a few interpretable parameters (``[S or 1, N]`` tensors, so one
rollout can try a different value per sample, which is how
``train.heuristic_search`` grid-searches them in one vectorised pass).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from invrl.policies.registry import HEURISTICS, Heuristic
from invrl.systems.base import Observation


def _param(value) -> torch.Tensor:
    t = torch.as_tensor(value, dtype=torch.float32)
    return t.reshape(1, 1) if t.dim() == 0 else t


class BaseStockPolicy(nn.Module):
    """Order up to ``level``: ``max(0, level - inventory position)``."""

    parameter_names = ("level",)

    def __init__(self, level):
        super().__init__()
        self.register_buffer("level", _param(level))

    def forward(self, obs: Observation) -> torch.Tensor:
        return (self.level - obs.system.inventory_position(obs.state)).clamp_min(0.0)


class CappedBaseStockPolicy(nn.Module):
    """Base-stock with orders capped at ``cap`` (Xin 2021; near-optimal for lost sales)."""

    parameter_names = ("level", "cap")

    def __init__(self, level, cap):
        super().__init__()
        self.register_buffer("level", _param(level))
        self.register_buffer("cap", _param(cap))

    def forward(self, obs: Observation) -> torch.Tensor:
        gap = (self.level - obs.system.inventory_position(obs.state)).clamp_min(0.0)
        return torch.minimum(gap, self.cap)


class ConstantOrderPolicy(nn.Module):
    """Order the same ``quantity`` every period (optimal for lost sales as L grows; Reiman 2004)."""

    parameter_names = ("quantity",)

    def __init__(self, quantity):
        super().__init__()
        self.register_buffer("quantity", _param(quantity))

    def forward(self, obs: Observation) -> torch.Tensor:
        return self.quantity.expand_as(obs.state.on_hand)


class MyopicPolicy(nn.Module):
    """Minimise the expected cost of the period in which this order arrives.

    The stock left when the order lands is random: it is simulated from the
    pipeline over ``scenarios`` demand paths drawn from ``demand_pool`` (the
    train split's demand, so the policy uses data, not the true law), with
    lost sales or backlog as the system has them. The best order is then the
    critical fractile p/(p+h) of (demand in that period - stock left),
    floored at zero. With L = 0 this is the newsvendor.
    """

    parameter_names = ()

    def __init__(self, demand_pool: torch.Tensor, scenarios: int = 256, seed: int = 0):
        super().__init__()
        gen = torch.Generator().manual_seed(seed)
        pool = demand_pool.reshape(-1, demand_pool.shape[-1]) if demand_pool.dim() > 1 else demand_pool[None]
        flat = pool.flatten()
        self.register_buffer("paths", flat[torch.randint(0, flat.numel(), (scenarios, 64), generator=gen)])

    def forward(self, obs: Observation) -> torch.Tensor:
        system, state = obs.system, obs.state
        lead = system.max_lead_time
        stock = state.on_hand[..., None]  # [B, N, M]
        for k in range(lead):
            stock = stock + state.pipeline[..., k : k + 1]
            stock = stock - self.paths[:, k]
            if system.lost_sales:
                stock = stock.clamp_min(0.0)
        shortfall = self.paths[:, lead] - stock  # demand at arrival minus stock left
        ratio = system.shortage_cost / (system.shortage_cost + system.holding_cost)  # [1 or B, N]
        # the empirical p/(p+h) quantile of the shortfall (a sort, no host sync)
        rank = (ratio * shortfall.shape[-1]).ceil().long().clamp(1, shortfall.shape[-1]) - 1
        quantile = shortfall.sort(dim=-1).values.gather(-1, rank.expand(shortfall.shape[:-1])[..., None])[..., 0]
        return quantile.clamp_min(0.0)


# --- registry entries: builder and search grid of each heuristic (``train.heuristic_search`` fits them)


def _top_level(system, mean: float, std: float, step: float) -> torch.Tensor:
    """Order-up-to levels from 0 to (L + 1) periods of demand plus five standard deviations and a period."""
    lead = int(system.lead_time.max())
    return torch.arange(0.0, (lead + 1) * mean + 5 * std * math.sqrt(lead + 1) + mean + step, step)


def _capped_grid(system, mean: float, std: float, step: float) -> dict[str, torch.Tensor]:
    caps = torch.arange(step, 3 * mean + 3 * std + step, step)
    level, cap = torch.meshgrid(_top_level(system, mean, std, step), caps, indexing="ij")
    return {"level": level.flatten(), "cap": cap.flatten()}


HEURISTICS.register("base_stock", Heuristic(
    "base_stock", build=lambda p, search: BaseStockPolicy(p["level"]),
    grid=lambda system, mean, std, step: {"level": _top_level(system, mean, std, step)},
))
HEURISTICS.register("capped_base_stock", Heuristic(
    "capped_base_stock", build=lambda p, search: CappedBaseStockPolicy(p["level"], p["cap"]), grid=_capped_grid,
))
HEURISTICS.register("constant_order", Heuristic(
    "constant_order", build=lambda p, search: ConstantOrderPolicy(p["quantity"]),
    grid=lambda system, mean, std, step: {"quantity": torch.arange(0.0, 1.5 * mean + step, step / 4)},
))
HEURISTICS.register("myopic", Heuristic("myopic", build=lambda p, search: MyopicPolicy(search.demand)))
