"""One run end to end: build the instance, fit the policy, evaluate on test, describe.

Used by the CLI (``python -m invrl train``) and by the Snakemake scripts, so a
run from the command line and a run from the DAG are the same computation. A
run is a :class:`~invrl.spec.RunSpec`; its policy's ``method`` picks the
training method from ``TRAINING_METHODS`` and its ``architecture`` the
network (or heuristic) from the policy registries, so no branch here knows a
family, a method or an architecture by name.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from pathlib import Path

import torch
import xarray as xr

from invrl.errors import ConfigError
from invrl.evaluate import evaluate_policy, parameter_variables, provenance, run_dataset
from invrl.families import family_of
from invrl.instance import Instance, build_instance
from invrl.options import options_from_dict
from invrl.policies.registry import HEURISTICS, build_policy
from invrl.registry import load_plugins
from invrl.settings import load_setting
from invrl.spec import RunSpec, config_hash
from invrl.train.checkpoint import Checkpoint
from invrl.train.method import TRAINING_METHODS

log = logging.getLogger(__name__)


def resolve_device(device: str) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise ConfigError("config asks for device 'cuda' but torch sees no GPU; use device: auto or cpu")
    return torch.device(device)


def run_config(spec: RunSpec, setting: dict) -> dict:
    """What the run's numbers depend on, resolved: its hash names the run in cubes and checkpoints,
    the same for a CLI run and a DAG run of one configuration."""
    return {"setting": setting, "policy": spec.policy_config, "sizes": spec.effective_sizes(), "seed": spec.seed,
            "data_seed": spec.data_seed}


def prepare(spec: RunSpec) -> tuple[torch.device, Instance]:
    """Plugins, torch's threads, the device and the instance: the start of every run."""
    load_plugins(spec.plugins)
    torch.set_num_threads(spec.threads)
    device = resolve_device(spec.device)
    setting = load_setting(spec.setting, spec.overrides, spec.settings_dir)
    return device, build_instance(setting, spec.effective_sizes(), spec.data_seed, device)


def run(spec: RunSpec, instance: Instance | None = None, *, checkpoint: Path | None = None, strict_resume: bool = False,
        progress: bool = True) -> xr.Dataset:
    """Fit ``spec``'s policy with its method on the instance's train and dev splits, evaluate on test."""
    if instance is None:
        device, instance = prepare(spec)
    else:
        device = instance.splits.train.demand.device
    setting, system = instance.setting, instance.system
    method = TRAINING_METHODS[spec.policy_config["method"]]
    problem = instance.problem(spec.reference.get("optimal_cost"))
    values = spec.sizes.get(method.name, {}) | spec.policy_config.get(method.name, {})
    options = options_from_dict(method.options, values, f"{method.name} options of policy {spec.policy}")
    config = run_config(spec, setting)
    if method.learned:
        torch.manual_seed(spec.seed)
        features = instance.splits.train.features
        policy = build_policy(spec.policy_config.get("architecture", "mlp"), system, spec.policy_config.get("network"),
                              n_features=0 if features is None else features.shape[-1],
                              where=f"policies.{spec.policy}.network").to(device)
    else:
        name = spec.policy_config.get("architecture", spec.policy)
        family = family_of(setting)
        if name not in family.heuristics:
            raise ConfigError(f"heuristic {name!r} does not apply to {family.name} settings; "
                              f"ones that do: {', '.join(family.heuristics) or 'none'}")
        policy = HEURISTICS[name]
    saver = None
    if checkpoint is not None:
        key = config_hash(config | {"options": dataclasses.asdict(options)})
        saver = Checkpoint(Path(checkpoint), key, strict=strict_resume)
    fitted = method.fit(problem, policy, options, seed=spec.seed, checkpoint=saver, progress=progress)
    start = time.perf_counter()
    h = instance.horizons
    metrics = evaluate_policy(system, fitted.policy, instance.splits.test, warmup=h["test"].warmup,
                              round_actions=instance.round_actions)
    optimum = spec.reference.get("optimal_cost")
    gap = f" gap {100 * (metrics['cost'] / optimum - 1):.2f}%" if optimum else ""
    log.info("%s %s: test/cost=%.4f test/cost_se=%.4f%s (%.1fs)%s", spec.instance_name(), spec.policy, metrics["cost"],
             metrics["cost_se"], gap, time.perf_counter() - start,
             f" parameters {fitted.parameters}" if fitted.parameters and len(str(fitted.parameters)) < 200 else "")
    metrics |= {"dev_cost": fitted.dev_cost, "train_time_s": fitted.wall_time_s, "steps": fitted.steps,
                "best_step": fitted.best_step} | parameter_variables(fitted.parameters)
    attrs = provenance(config, device, spec.threads) | {"method": method.name, "options": str(options)}
    record = {"instance": spec.instance_name(), "policy": spec.policy, "seed": spec.seed, "scale": spec.scale, **attrs}
    attrs["provenance"] = json.dumps([record])
    ds = run_dataset(spec, train_size=instance.splits.train.n_samples, metrics=metrics, curve=fitted.curve, attrs=attrs)
    if saver is not None:
        saver.remove()  # finished: a rerun starts afresh
    return ds


def run_group(specs: list[RunSpec]) -> xr.Dataset:
    """Several cheap runs of one instance (an instance's heuristics) in one job: the instance is built
    once, the runs are concatenated along ``policy``."""
    if not specs:
        raise ConfigError("no runs to do")
    _, instance = prepare(specs[0])
    runs = [run(spec, instance, progress=False) for spec in specs]
    records = [record for ds in runs for record in json.loads(ds.attrs["provenance"])]
    group = xr.concat(runs, dim="policy", data_vars="minimal", coords="minimal", compat="equals", join="outer",
                      combine_attrs="drop_conflicts")
    return group.assign_attrs(provenance=json.dumps(records))
