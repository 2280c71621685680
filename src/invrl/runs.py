"""One run end to end: build the instance, fit the policy, evaluate on test, describe.

Used by the CLI (``python -m invrl train``) and by the Snakemake scripts, so a
run from the command line and a run from the DAG are the same computation.
"""

from __future__ import annotations

import logging
import math
import time
from pathlib import Path

import torch
import xarray as xr

from invrl.config import load_setting
from invrl.evaluate import evaluate_policy, provenance, run_dataset
from invrl.instance import build_instance
from invrl.policies.mlp import MLPConfig, MLPPolicy
from invrl.systems.network import Network
from invrl.train.hdpo import config_from_dict, train_hdpo
from invrl.train.heuristic_search import FittedHeuristic, fit_heuristic

log = logging.getLogger(__name__)


def resolve_device(device: str) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("config asks for device 'cuda' but torch sees no GPU; use device: auto or cpu")
    return torch.device(device)


def prepare(setting_name: str, overrides: dict, sizes: dict, data_seed: int, device: str, threads: int):
    """Set torch's threads, pick the device, and build the instance: the start of every run."""
    torch.set_num_threads(threads)
    dev = resolve_device(device)
    return dev, build_instance(load_setting(setting_name, overrides), sizes, data_seed, dev)


def build_policy(system, policy_config: dict) -> torch.nn.Module:
    """The learned policy of ``policy_config`` (architecture and network options) for ``system``."""
    architecture = policy_config.get("architecture", "mlp")
    options = {k: tuple(v) if isinstance(v, list) else v for k, v in policy_config.get("network", {}).items()}
    if isinstance(system, Network):
        from invrl.policies.network_policies import build_network_policy

        return build_network_policy(architecture, system, options)
    if architecture != "mlp":
        raise ValueError(f"architecture {architecture!r} is for network settings; a single location uses 'mlp'")
    return MLPPolicy(MLPPolicy.n_inputs(system.max_lead_time), MLPConfig(**options))


def fit_echelon_stock(system, setting: dict, dev, dev_warmup: int, round_actions: bool) -> FittedHeuristic:
    """Echelon base-stock with the exact Clark-Scarf levels (serial lines): computed, not searched."""
    from invrl.exact.network import serial_optimum
    from invrl.policies.echelon_stock import EchelonStockPolicy

    optimum = serial_optimum(setting) if setting["system"] == "serial" else None
    if optimum is None:
        raise ValueError(f"echelon_stock needs a serial setting with Poisson demand and backlog, got {setting['system']!r}")
    policy = EchelonStockPolicy(optimum["echelon_levels"]).to(system.holding_cost.device)
    dev_cost = evaluate_policy(system, policy, dev, warmup=dev_warmup, round_actions=round_actions)["cost"]
    levels = dict(enumerate(optimum["echelon_levels"]))
    return FittedHeuristic("echelon_stock", policy, {f"level_{k}": v for k, v in levels.items()}, math.nan, dev_cost, 0)


def _describe(instance, experiment, setting_name, instance_name, instance_values, policy, seed, metrics, optimum,
              curve, config, device, threads, extra_attrs, lower_bound=None) -> xr.Dataset:
    attrs = provenance(config, device, threads) | extra_attrs
    return run_dataset(
        experiment=experiment, setting=setting_name, instance=instance_name, instance_values=instance_values,
        policy=policy, seed=seed, train_size=instance.splits.train.n_samples, metrics=metrics, optimum=optimum,
        curve=curve, attrs=attrs, lower_bound=lower_bound,
    )


def train_and_evaluate(
    *,
    setting_name: str,
    overrides: dict,
    policy_name: str,
    policy_config: dict,
    sizes: dict,
    seed: int,
    data_seed: int = 1,
    experiment: str = "adhoc",
    instance_name: str = "base",
    instance_values: dict | None = None,
    optimum: float | None = None,
    checkpoint: Path | None = None,
    device: str = "auto",
    threads: int = 1,
    progress: bool = True,
    train_samples: int | None = None,
    lower_bound: float | None = None,
) -> xr.Dataset:
    """Train a learned policy with HDPO and evaluate it on the test split.

    ``train_samples`` trains on that many scenarios instead of the scale's
    (the data-efficiency study); dev and test stay as they are.
    """
    if train_samples is not None:
        sizes = {**sizes, "train": {**sizes["train"], "samples": int(train_samples)}}
    dev, inst = prepare(setting_name, overrides, sizes, data_seed, device, threads)
    h = inst.horizons
    round_actions = bool(inst.setting.get("round_actions", False))
    # integer settings train on whole-unit orders (straight-through), as they are evaluated
    defaults = {"straight_through_rounding": round_actions}
    hdpo_config = config_from_dict(defaults | sizes.get("hdpo", {}) | policy_config.get("hdpo", {}))
    torch.manual_seed(seed)
    policy = build_policy(inst.system, policy_config).to(dev)
    result = train_hdpo(
        inst.system, policy, inst.splits.train, inst.splits.dev, config=hdpo_config,
        warmup=h["train"].warmup, dev_warmup=h["dev"].warmup, seed=seed, round_actions=round_actions,
        optimum=optimum, checkpoint=checkpoint, progress=progress,
    )
    start = time.perf_counter()
    metrics = evaluate_policy(inst.system, result.policy, inst.splits.test, warmup=h["test"].warmup, round_actions=round_actions)
    log.info("test/cost=%.4f test/cost_se=%.4f (%.1fs)", metrics["cost"], metrics["cost_se"], time.perf_counter() - start)
    metrics |= {
        "dev_cost": result.best_dev_cost, "train_time_s": result.wall_time_s, "steps": result.steps,
        "best_step": result.best_step,
    }
    config = {"setting": inst.setting, "policy": policy_config, "sizes": sizes, "seed": seed, "data_seed": data_seed}
    return _describe(inst, experiment, setting_name, instance_name, instance_values or {}, policy_name, seed, metrics,
                     optimum, result.curve, config, dev, threads, {"hdpo": str(hdpo_config)}, lower_bound)


def fit_and_evaluate_heuristics(
    *,
    setting_name: str,
    overrides: dict,
    heuristics: list[str],
    sizes: dict,
    data_seed: int = 1,
    experiment: str = "adhoc",
    instance_name: str = "base",
    instance_values: dict | None = None,
    optimum: float | None = None,
    device: str = "auto",
    threads: int = 1,
    lower_bound: float | None = None,
) -> xr.Dataset:
    """Fit each heuristic on train paths, choose on dev, evaluate on test; one Dataset for all."""
    dev, inst = prepare(setting_name, overrides, sizes, data_seed, device, threads)
    h = inst.horizons
    round_actions = bool(inst.setting.get("round_actions", False))
    runs = []
    for name in heuristics:
        start = time.perf_counter()
        if name == "echelon_stock":
            fitted = fit_echelon_stock(inst.system, inst.setting, inst.splits.dev, h["dev"].warmup, round_actions)
        else:
            fitted = fit_heuristic(
                name, inst.system, inst.search, inst.splits.dev, search_warmup=h["search"].warmup,
                dev_warmup=h["dev"].warmup, round_actions=round_actions,
            )
        fit_time = time.perf_counter() - start
        metrics = evaluate_policy(inst.system, fitted.policy, inst.splits.test, warmup=h["test"].warmup, round_actions=round_actions)
        gap = f" gap {100 * (metrics['cost'] / optimum - 1):.2f}%" if optimum else ""
        log.info("%s %s: params %s, test cost %.4f%s (fit %.1fs)", instance_name, name, fitted.parameters, metrics["cost"], gap, fit_time)
        metrics |= {"dev_cost": fitted.dev_cost, "train_time_s": fit_time, "steps": fitted.candidates, "best_step": math.nan}
        config = {"setting": inst.setting, "policy": {"method": "heuristic", "name": name}, "sizes": sizes, "data_seed": data_seed}
        runs.append(_describe(inst, experiment, setting_name, instance_name, instance_values or {}, name, 0, metrics,
                              optimum, None, config, dev, threads, {"parameters": str(fitted.parameters)}, lower_bound))
    return xr.concat(runs, dim="policy", data_vars="minimal", coords="minimal", compat="equals", combine_attrs="drop_conflicts")
