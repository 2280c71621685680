"""Training methods behind one interface, by name (``method:`` of a policy in config.yaml).

A method takes a :class:`Problem` (one instance: its system and demand
splits), the policy to fit, its typed options, a seed and an optional
checkpoint, and returns a :class:`Fitted`: the dev-selected policy, its
learning curve and its step count. ``runs.py`` and the rules call every method
the same way; a new method (HPO, PPO, REINFORCE) is a module that registers
one more entry.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from torch import nn

from invrl.demand.data import DemandData
from invrl.registry import Registry
from invrl.systems.base import System


@dataclass
class Problem:
    """One instance as a training method sees it."""

    system: System
    setting: dict
    train: DemandData
    dev: DemandData
    train_warmup: int
    dev_warmup: int
    round_actions: bool
    """Whole-unit actions when evaluating (integer settings)."""
    search: Callable[[], tuple[DemandData, int]]
    """Longer training-distribution paths and their warm-up, drawn on first call (grid searches)."""
    optimum: float | None = None
    """The exact optimum where known, only to show the dev gap while training."""


@dataclass
class Fitted:
    policy: nn.Module
    dev_cost: float
    steps: int
    """Gradient steps taken (learned policies) or candidate parameter sets simulated (searches)."""
    wall_time_s: float
    best_step: float = math.nan
    curve: dict[str, list] = field(default_factory=dict)
    """Learning curve: step, wall_time_s, train_loss, dev_cost (one entry per dev evaluation)."""
    parameters: dict = field(default_factory=dict)
    """The fitted parameters of a heuristic (level, cap, ...), by name."""


@dataclass(frozen=True)
class TrainingMethod:
    name: str
    options: type
    """Frozen dataclass of the method's options: ``scales.<scale>.<name>``, an experiment's
    ``sizes`` and ``policy_options``, and the policy's own ``<name>:`` block, merged in that order."""
    fit: Callable[..., Fitted]
    """fit(problem, policy, options, *, seed, checkpoint, progress) -> Fitted. ``policy`` is a
    freshly built ``nn.Module`` for learned methods, a ``policies.registry.Heuristic`` otherwise."""
    learned: bool = True
    """Fits a neural architecture (``ARCHITECTURES``), one job per seed; otherwise a heuristic
    (``HEURISTICS``), all of an instance's heuristics in one cheap job."""


TRAINING_METHODS: Registry[TrainingMethod] = Registry(
    "training method", builtins=("invrl.train.hdpo", "invrl.train.heuristic_search")
)
