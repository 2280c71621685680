"""One run description, carried from the CLI and the rules to ``runs.py`` and ``evaluate``."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field


def config_hash(config: dict) -> str:
    return hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class RunSpec:
    """Everything a run's numbers depend on, plus where it belongs and where it runs."""

    setting: str
    """The setting: a name in the settings directory or a YAML path."""
    policy: str
    """The policy's name in config.yaml's ``policies``."""
    policy_config: dict
    """Its entry there: method, architecture, network options, method options."""
    sizes: dict
    """Split sizes and the options of the policy's method at this scale (``config.run_sizes``)."""
    overrides: dict = field(default_factory=dict)
    """Setting values that replace the file's (an instance's grid values, ``--set``)."""
    seed: int = 0
    data_seed: int = 1
    train_samples: int | None = None
    """Train on this many scenarios instead of the scale's (data-efficiency studies)."""
    experiment: str = "adhoc"
    instance: str | None = None
    """The instance's name; None names it after the overrides (``lead_time-2_shortage_cost-9``)."""
    instance_values: dict = field(default_factory=dict)
    """Grid values recorded as coordinates of the run (flat, dotted keys)."""
    scale: str = "default"
    reference: dict = field(default_factory=dict)
    """The instance's exact optimum (``optimal_cost``) or lower bound (``lower_bound``), if known."""
    device: str = "auto"
    threads: int = 1
    settings_dir: str | None = None
    """Where setting names resolve (the workflow's config/settings); None: the working directory's."""
    plugins: tuple[str, ...] = ()
    """Modules that register families, policies or methods this run needs."""

    def effective_sizes(self) -> dict:
        if self.train_samples is None:
            return self.sizes
        return {**self.sizes, "train": {**self.sizes["train"], "samples": int(self.train_samples)}}

    def instance_name(self) -> str:
        if self.instance:
            return self.instance
        flat = _flatten(self.overrides)
        return "_".join(f"{k}-{v}" for k, v in flat.items()) or "base"

    def coordinates(self) -> dict:
        return self.instance_values or _flatten(self.overrides)


def _flatten(nested: dict, prefix: str = "") -> dict:
    out = {}
    for key, value in nested.items():
        if isinstance(value, dict):
            out |= _flatten(value, f"{prefix}{key}.")
        else:
            out[f"{prefix}{key}"] = value
    return out
