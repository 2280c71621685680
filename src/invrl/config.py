"""Configuration: load, override and validate, failing early with the key and the reason.

``config/config.yaml`` holds experiments and scales; ``config/settings/*.yaml``
hold one problem setting each. Both are checked against ``config/schema.yaml``
(JSON schema, draft 2020-12), so a misspelt key or a bad value stops before
any work starts, with a message naming the file and the key.
"""

from __future__ import annotations

import copy
import itertools
from functools import cache
from pathlib import Path

import jsonschema
import yaml

REPO = Path(__file__).resolve().parents[2]
CONFIG_DIR = REPO / "config"


class ConfigError(ValueError):
    """A configuration file or override is invalid."""


@cache
def _schema() -> dict:
    return yaml.safe_load((CONFIG_DIR / "schema.yaml").read_text())


def validate(data: dict, source: str, definition: str | None = None) -> dict:
    """Validate ``data`` against the schema (or one of its ``$defs``); return it unchanged."""
    schema = _schema()
    if definition is not None:
        schema = {**schema["$defs"][definition], "$defs": schema["$defs"]}
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
    # a key that fails its own check is also reported as "unevaluated": show the real reason alone
    errors = [e for e in errors if e.validator != "unevaluatedProperties"] or errors
    if errors:
        lines = []
        for error in errors:
            key = ".".join(str(p) for p in error.absolute_path) or "(top level)"
            lines.append(f"  at key '{key}': {error.message}")
        raise ConfigError(f"{source} is invalid:\n" + "\n".join(lines))
    return data


def _read_yaml(path: Path) -> dict:
    if not path.exists():
        raise ConfigError(f"config file {path} does not exist")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        raise ConfigError(f"{path} is not valid YAML: {error}") from error
    return data or {}


def load_config(path: str | Path | None = None) -> dict:
    path = Path(path) if path else CONFIG_DIR / "config.yaml"
    return validate(_read_yaml(path), str(path))


def parse_assignments(assignments: list[str]) -> dict:
    """``["demand.mean=5", "lead_time=2"]`` -> nested dict; values parsed as YAML scalars."""
    result: dict = {}
    for item in assignments:
        if "=" not in item:
            raise ConfigError(f"--set expects key=value, got {item!r}")
        key, raw = item.split("=", 1)
        node = result
        *parents, leaf = key.strip().split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = yaml.safe_load(raw)
    return result


def merge(base: dict, override: dict) -> dict:
    """A new dict: ``base`` with ``override`` merged in recursively (neither is mutated)."""
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def setting_path(name: str) -> Path:
    path = Path(name)
    return path if path.suffix in (".yaml", ".yml") else CONFIG_DIR / "settings" / f"{name}.yaml"


def load_setting(name: str, overrides: dict | None = None) -> dict:
    """The setting ``name`` (a file in config/settings or a path) with ``overrides`` applied."""
    path = setting_path(name)
    setting = merge(_read_yaml(path), overrides or {})
    source = f"setting {path}" + (f" with overrides {overrides}" if overrides else "")
    return validate(setting, source, "setting")


def instance_values(experiment: dict) -> dict[str, dict]:
    """Instance name -> its grid values (flat, dotted keys): one per combination of the grid,
    or one per entry of ``cases`` (explicit combinations, when only some of the product is wanted)."""
    if experiment.get("cases") and experiment.get("grid"):  # the schema fills in an empty grid
        raise ConfigError("an experiment gives either grid (every combination) or cases (a list), not both")
    grid = experiment.get("grid", {})
    cases = experiment.get("cases") or [dict(zip(grid, values)) for values in itertools.product(*grid.values())]
    keys = list(dict.fromkeys(k for case in cases for k in case))
    template = experiment.get("instance_name") or "_".join(f"{k}-{{{k}}}" for k in keys) or "base"
    out = {}
    for flat in cases:
        name = template.format(**{k.replace(".", "_"): v for k, v in flat.items()})
        if name in out:
            raise ConfigError(f"two instances are both named {name!r}; instance_name must tell them apart")
        out[name] = flat
    return out


def instances(experiment: dict) -> dict[str, dict]:
    """Instance name -> setting overrides (nested), one per combination of the grid."""
    return {name: parse_assignments([f"{k}={v}" for k, v in flat.items()]) for name, flat in instance_values(experiment).items()}


def scale_sizes(config: dict, scale: str) -> dict:
    if scale not in config["scales"]:
        raise ConfigError(f"unknown scale {scale!r}; expected one of {sorted(config['scales'])}")
    return config["scales"][scale]


def experiment_sizes(config: dict, experiment: str, scale: str, policy: str | None = None) -> dict:
    """The scale's sizes with the experiment's overrides for that scale merged in, then, for
    ``policy``, the experiment's ``policy_hdpo`` options of that policy at that scale (a
    costly architecture can take smaller batches than the others on the same instances)."""
    exp = config["experiments"][experiment]
    per_policy = exp.get("policy_hdpo", {})
    unknown = sorted(set(per_policy) - set(exp.get("policies", [])))
    if unknown:
        raise ConfigError(f"experiments.{experiment}.policy_hdpo names {unknown}, not among its policies {exp.get('policies', [])}")
    sizes = merge(scale_sizes(config, scale), exp.get("sizes", {}).get(scale, {}))
    extra = per_policy.get(policy, {}).get(scale, {}) if policy else {}
    return merge(sizes, {"hdpo": extra}) if extra else sizes


def experiment_at_scale(experiment: dict, scale: str) -> dict:
    """The experiment with its ``at_scale[scale]`` entries (grid or cases, seeds, train sizes) put in place."""
    replacement = experiment.get("at_scale", {}).get(scale, {})
    instances_given = bool(replacement.get("grid") or replacement.get("cases"))
    kept = {k: v for k, v in experiment.items() if not (instances_given and k in ("grid", "cases"))}
    return {**kept, **replacement}
