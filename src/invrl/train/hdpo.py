"""Hindsight differentiable policy optimisation (HDPO).

The loss is the realised cost of whole simulated trajectories on training
demand; its pathwise gradient flows back through the simulator into the
policy. Adam steps, gradient clipping, dev-set model selection, early
stopping, checkpoints that resume a killed run, and a guard that stops on a
non-finite loss naming the step. The loop reads top to bottom: seed, build,
loop, log, select, save.

Default recipe (benchmarks/bench_hdpo.py, benchmarks/tune_hdpo.py): Adam at
5e-2 with a 20-step warm-up, batch 1024, steps cut by 0.3 at dev plateaus (5
evaluations without improvement, 3 cuts, then stop), and dev evaluation and
selection of an exponential moving average of the weights (decay 0.95), which
removes most of the iterate noise of the large step size. With the MLP's
defaults (inventory-position input, output initialised to order the mean) it
trains on 20 periods after a 10 + L warm-up.
"""

from __future__ import annotations

import copy
import logging
import math
import time
from dataclasses import dataclass, field

import torch
from tqdm.auto import tqdm

from invrl.demand.data import DemandData
from invrl.rollout import rollout
from invrl.systems.base import System
from invrl.errors import InvrlError
from invrl.train.checkpoint import Checkpoint
from invrl.train.method import TRAINING_METHODS, Fitted, Problem, TrainingMethod

log = logging.getLogger(__name__)


class TrainingDivergedError(InvrlError, RuntimeError):
    """The training loss became NaN or infinite."""


@dataclass(frozen=True)
class HDPOConfig:
    max_steps: int = 1200
    """Gradient steps at most."""
    batch_size: int = 1024
    """Training scenarios per gradient step."""
    learning_rate: float = 5e-2
    """Adam step size."""
    lr_schedule: str = "plateau"
    """constant; cosine decay to zero over ``max_steps``; or plateau: multiply the step
    size by ``lr_decay`` after ``decay_patience`` dev evaluations without improvement
    (at most ``max_decays`` times, then stop at the next plateau)."""
    warmup_steps: int = 20
    """Linear learning-rate warm-up over this many first steps (0: none)."""
    adam_betas: tuple[float, float] = (0.9, 0.999)
    """Adam's moment decay rates."""
    lr_decay: float = 0.3
    """Plateau schedule: factor applied to the step size at each plateau."""
    decay_patience: int = 5
    """Plateau schedule: dev evaluations without improvement that count as a plateau."""
    max_decays: int = 3
    """Plateau schedule: step-size reductions before the run stops at a plateau."""
    ema_decay: float = 0.95
    """Evaluate and select an exponential moving average of the weights with this decay
    (0: the raw iterate). Early steps use min(decay, (1 + step) / (10 + step))."""
    grad_clip: float = 10.0
    """Clip the gradient's global norm at this value (0 disables)."""
    eval_every: int = 25
    """Gradient steps between dev evaluations."""
    patience: int = 20
    """Stop after this many dev evaluations without improvement."""
    time_budget_s: float = 0.0
    """Stop after this many wall-clock seconds (0: no limit)."""
    straight_through_rounding: bool = False
    """Round orders to whole units in training, passing gradients straight through. Off by
    default even on integer settings (they still evaluate rounded orders): integral training
    states sit on the cost's kinks, where the gradient is split, and the policy settles one
    unit high in a few percent of periods (lost sales L2-p4: 0.116% above the optimum with it,
    0.013% without; benchmarks/ablate_hdpo.py).
    (integer-demand settings: the simulated states stay integral, as when evaluating)."""
    checkpoint_every: int = 100
    """Gradient steps between checkpoints (0: by time only, every ``Checkpoint.every_s`` seconds)."""
    target_dev_cost: float = 0.0
    """Record the wall time at which dev cost first falls to this level (0: off)."""


@dataclass
class TrainResult:
    policy: torch.nn.Module
    best_dev_cost: float
    best_step: int
    steps: int
    wall_time_s: float
    curve: dict[str, list] = field(default_factory=dict)
    """Learning curve: step, wall_time_s, train_loss, dev_cost (one entry per evaluation)."""
    time_to_target_s: float = math.nan


def _dev_cost(system: System, policy, dev: DemandData, warmup: int, round_actions: bool) -> float:
    with torch.no_grad():
        return float(rollout(system, policy, dev, round_actions=round_actions).mean_cost(warmup))


def train_hdpo(
    system: System,
    policy: torch.nn.Module,
    train: DemandData,
    dev: DemandData,
    *,
    config: HDPOConfig,
    warmup: int,
    dev_warmup: int,
    seed: int,
    round_actions: bool = False,
    optimum: float | None = None,
    checkpoint: Checkpoint | None = None,
    progress: bool = True,
) -> TrainResult:
    """Train ``policy`` in place on ``train`` demand and return the dev-best copy."""
    torch.manual_seed(seed)
    generator = torch.Generator(device="cpu").manual_seed(seed)
    device = train.demand.device
    optimizer = torch.optim.Adam(policy.parameters(), lr=config.learning_rate, betas=tuple(config.adam_betas))
    warm = max(int(config.warmup_steps), 0)
    ramp = (lambda s: min(1.0, (s + 1) / warm)) if warm else (lambda s: 1.0)
    if config.lr_schedule == "cosine":
        span = max(config.max_steps - warm, 1)
        factor = lambda s: ramp(s) * 0.5 * (1 + math.cos(math.pi * min(max(s - warm, 0), span) / span))  # noqa: E731
    elif config.lr_schedule in ("constant", "plateau"):
        factor = ramp
    else:
        raise ValueError(f"hdpo.lr_schedule must be 'constant', 'cosine' or 'plateau', got {config.lr_schedule!r}")
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
    decays = 0
    if config.straight_through_rounding:
        policy = _StraightThroughRounding(policy)
    dev_system = system.select(slice(None))
    ema = copy.deepcopy(policy) if config.ema_decay > 0 else None
    evaluated = policy if ema is None else ema

    curve = {"step": [], "wall_time_s": [], "train_loss": [], "dev_cost": []}
    best = {"cost": math.inf, "step": 0, "state": copy.deepcopy(evaluated.state_dict())}
    step, elapsed, stale, time_to_target = 0, 0.0, 0, math.nan
    saved = checkpoint.resume() if checkpoint is not None else None
    if saved is not None:
        try:
            policy.load_state_dict(saved["policy"])
        except RuntimeError as error:
            raise InvrlError(f"checkpoint {checkpoint.path} does not fit this policy "
                             f"({type(policy).__name__}): {str(error).splitlines()[0]}") from error
        optimizer.load_state_dict(saved["optimizer"])
        scheduler.load_state_dict(saved["scheduler"])
        generator.set_state(saved["generator"])
        step, elapsed, stale, curve, best = saved["step"], saved["elapsed"], saved["stale"], saved["curve"], saved["best"]
        time_to_target = saved.get("time_to_target", math.nan)
        decays = saved.get("decays", 0)
        if ema is not None:
            ema.load_state_dict(saved.get("ema", saved["policy"]))

    # disable=None: tqdm stays quiet when stderr is not a terminal (logs, CI)
    bar = tqdm(total=config.max_steps, initial=step, disable=None if progress else True, desc="hdpo", leave=False)
    start = time.perf_counter() - elapsed
    last_finite = math.nan
    while step < config.max_steps:
        index = torch.randint(0, train.n_samples, (config.batch_size,), generator=generator).to(device)
        loss = rollout(system.select(index), policy, train.samples(index)).mean_cost(warmup)
        loss_value = float(loss.detach())
        if not math.isfinite(loss_value):
            raise TrainingDivergedError(
                f"training loss is {loss_value} at step {step}; last finite loss {last_finite:.6g}"
            )
        last_finite = loss_value
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if config.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(policy.parameters(), config.grad_clip)
        optimizer.step()
        scheduler.step()
        if ema is not None:
            decay = min(config.ema_decay, (1 + step) / (10 + step))
            with torch.no_grad():
                torch._foreach_lerp_(list(ema.parameters()), list(policy.parameters()), 1.0 - decay)
        step += 1
        bar.update(1)

        if step % config.eval_every == 0 or step == config.max_steps:
            cost = _dev_cost(dev_system, evaluated, dev, dev_warmup, round_actions)
            wall = time.perf_counter() - start
            for key, value in zip(curve, (step, wall, loss_value, cost)):
                curve[key].append(value)
            if cost < best["cost"]:
                best = {"cost": cost, "step": step, "state": copy.deepcopy(evaluated.state_dict())}
                stale = 0
            else:
                stale += 1
            if config.target_dev_cost and math.isnan(time_to_target) and cost <= config.target_dev_cost:
                time_to_target = wall
            shown = {"train/loss": f"{loss_value:.4f}", "dev/cost": f"{cost:.4f}"}
            if optimum:
                shown["dev/gap"] = f"{100 * (cost / optimum - 1):.2f}%"
            bar.set_postfix(shown)
            log.info("step %d %s", step, " ".join(f"{k}={v}" for k, v in shown.items()))
            if config.lr_schedule == "plateau" and stale >= config.decay_patience:
                if decays >= config.max_decays:
                    break
                decays += 1
                stale = 0
                scheduler.base_lrs = [lr * config.lr_decay for lr in scheduler.base_lrs]
                log.info("step %d: plateau, step size now %.3g", step, scheduler.base_lrs[0])
            if stale >= config.patience or (config.time_budget_s and wall > config.time_budget_s):
                break
        if checkpoint is not None and checkpoint.due(step, config.checkpoint_every):
            checkpoint.save({
                "policy": policy.state_dict(), "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(), "generator": generator.get_state(),
                "step": step, "elapsed": time.perf_counter() - start, "stale": stale,
                "curve": curve, "best": best, "time_to_target": time_to_target,
                "decays": decays, **({} if ema is None else {"ema": ema.state_dict()}),
            })
    bar.close()
    policy.load_state_dict(best["state"])
    if isinstance(policy, _StraightThroughRounding):
        policy = policy.inner
    return TrainResult(
        policy=policy, best_dev_cost=best["cost"], best_step=best["step"], steps=step,
        wall_time_s=time.perf_counter() - start, curve=curve, time_to_target_s=time_to_target,
    )


class _StraightThroughRounding(torch.nn.Module):
    """Whole-unit orders forward, identity gradient backward."""

    def __init__(self, inner: torch.nn.Module):
        super().__init__()
        self.inner = inner

    def forward(self, obs):
        action = self.inner(obs)
        return action + (obs.system.round_action(action) - action).detach()


def fit_hdpo(problem: Problem, policy: torch.nn.Module, options: HDPOConfig, *, seed: int,
             checkpoint: Checkpoint | None = None, progress: bool = True) -> Fitted:
    result = train_hdpo(
        problem.system, policy, problem.train, problem.dev, config=options, warmup=problem.train_warmup,
        dev_warmup=problem.dev_warmup, seed=seed, round_actions=problem.round_actions, optimum=problem.optimum,
        checkpoint=checkpoint, progress=progress,
    )
    return Fitted(policy=result.policy, dev_cost=result.best_dev_cost, steps=result.steps, wall_time_s=result.wall_time_s,
                  best_step=result.best_step, curve=result.curve)


TRAINING_METHODS.register("hdpo", TrainingMethod("hdpo", HDPOConfig, fit_hdpo))
