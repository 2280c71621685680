"""Configuration: load, override and validate, failing early with the key and the reason.

``config/config.yaml`` holds experiments and scales; ``config/settings/*.yaml``
hold one problem setting each. Both are checked against ``config/schema.yaml``
(JSON schema, draft 2020-12), and the schema's defaults are filled in once
here, so every reader sees one value for a key left out. Checks that need the
registries (policy names, training options, every instance of every
experiment) are in ``invrl.checks``.
"""

from __future__ import annotations

import copy
import difflib
import itertools
import re
from functools import cache
from pathlib import Path

import jsonschema
import yaml

from invrl.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]
CONFIG_DIR = REPO / "config"
SPLITS = ("train", "dev", "test", "search")

__all__ = ["ConfigError", "load_config", "validate"]


@cache
def _schema() -> dict:
    return yaml.safe_load((CONFIG_DIR / "schema.yaml").read_text())


def schema_definitions() -> dict:
    return _schema()["$defs"]


def _unexpected(error) -> list[str]:
    return re.findall(r"'([^']+)'", error.message.split("(")[-1]) if "(" in error.message else []


def _known_keys(schema, defs: dict) -> set[str]:
    """Property names a schema allows, through ``$ref`` and ``allOf`` (for "did you mean")."""
    schema = _resolve(schema, defs)
    if not isinstance(schema, dict):
        return set()
    keys = set(schema.get("properties", {}))
    for part in schema.get("allOf", []):
        keys |= _known_keys(part, defs)
    return keys


def _format(error, schema: dict) -> str:
    key = ".".join(str(p) for p in error.absolute_path)
    if error.validator in ("additionalProperties", "unevaluatedProperties"):
        known = _known_keys(error.schema, schema.get("$defs", {}))
        parts = []
        for name in (n for n in _unexpected(error) if n not in known):
            close = difflib.get_close_matches(name, known, n=1)
            parts.append(f"unexpected key '{'.'.join([key, name]).lstrip('.')}'" + (f" (did you mean '{close[0]}'?)" if close else ""))
        if parts:
            return "; ".join(parts)
    return f"at key '{key or '(top level)'}': {error.message if len(error.message) < 300 else error.message[:300] + '...'}"


def validate(data: dict, source: str, schema: dict | str | None = None) -> dict:
    """Validate ``data`` against the config schema, one of its ``$defs`` (a name) or a schema
    that may refer to those ``$defs``; return it unchanged. Every error names its key."""
    full = _schema()
    if schema is None:
        schema = full
    elif isinstance(schema, str):
        schema = {**full["$defs"][schema], "$defs": full["$defs"]}
    else:
        schema = {**schema, "$defs": {**full["$defs"], **schema.get("$defs", {})}}
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
    # a subschema that fails drops what it evaluated, so its object's valid keys come back as
    # "unevaluated" too: an unexpected key is one the schema does not know at that level
    defs = schema.get("$defs", {})
    kept = [error for error in errors if error.validator != "unevaluatedProperties"
            or set(_unexpected(error)) - _known_keys(error.schema, defs)]
    if kept:
        lines = list(dict.fromkeys(f"  {_format(error, schema)}" for error in kept))
        raise ConfigError(f"{source} is invalid:\n" + "\n".join(lines))
    return data


def _resolve(schema: dict, defs: dict) -> dict:
    while isinstance(schema, dict) and "$ref" in schema:
        extra = {k: v for k, v in schema.items() if k != "$ref"}
        schema = {**defs[schema["$ref"].rsplit("/", 1)[-1]], **extra}
    return schema


def fill_defaults(data, schema: dict, defs: dict | None = None):
    """Fill in place every ``default`` of the schema's ``properties`` (through ``$ref`` and ``allOf``)
    that ``data`` leaves out, recursively; the readers then never need a fallback of their own."""
    defs = schema_definitions() if defs is None else defs
    schema = _resolve(schema, defs)
    if not isinstance(data, dict) or not isinstance(schema, dict):
        return data
    for part in schema.get("allOf", []):
        fill_defaults(data, part, defs)
    for name, sub in schema.get("properties", {}).items():
        sub = _resolve(sub, defs)
        if name not in data and isinstance(sub, dict) and "default" in sub:
            data[name] = copy.deepcopy(sub["default"])
        if name in data:
            fill_defaults(data[name], sub, defs)
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        for name, value in data.items():
            if name not in schema.get("properties", {}):
                fill_defaults(value, extra, defs)
    return data


def read_yaml(path: Path) -> dict:
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"config file {path} does not exist")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        raise ConfigError(f"{path} is not valid YAML: {error}") from error
    if data is not None and not isinstance(data, dict):
        raise ConfigError(f"{path} must hold a mapping of keys, got {type(data).__name__}")
    return data or {}


def default_config_path() -> Path:
    """``config/config.yaml`` of the workflow in the working directory, else the package's own."""
    here = Path.cwd() / "config" / "config.yaml"
    return here if here.exists() else CONFIG_DIR / "config.yaml"


def load_config(path: str | Path | None = None) -> dict:
    """The validated config with the schema's defaults filled in."""
    path = Path(path) if path else default_config_path()
    return prepare_config(read_yaml(path), str(path))


def prepare_config(config: dict, source: str = "config") -> dict:
    """Validate a loaded config (the Snakefile's, after ``--config`` overrides) and fill its defaults."""
    validate(config, source)
    return fill_defaults(config, _schema())


def settings_dir(config_path: str | Path | None = None) -> Path:
    """Settings live in ``settings/`` beside the config file."""
    return (Path(config_path) if config_path else default_config_path()).parent / "settings"


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


def setting_path(name: str, directory: str | Path | None = None) -> Path:
    """A setting file: ``name`` itself when it is a YAML path, else ``<directory>/<name>.yaml``."""
    path = Path(name)
    if path.suffix in (".yaml", ".yml"):
        return path
    return Path(directory or settings_dir()) / f"{name}.yaml"


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


def overrides_of(flat: dict) -> dict:
    """Flat grid values (dotted keys) as nested setting overrides."""
    return parse_assignments([f"{k}={v}" for k, v in flat.items()])


def instances(experiment: dict) -> dict[str, dict]:
    """Instance name -> setting overrides (nested), one per combination of the grid."""
    return {name: overrides_of(flat) for name, flat in instance_values(experiment).items()}


def scale_sizes(config: dict, scale: str) -> dict:
    if scale not in config["scales"]:
        raise ConfigError(f"unknown scale {scale!r}; expected one of {sorted(config['scales'])}")
    return config["scales"][scale]


def experiment_sizes(config: dict, experiment: str, scale: str, policy: str | None = None) -> dict:
    """The scale's sizes with the experiment's overrides for that scale merged in, then, for
    ``policy``, the experiment's ``policy_options`` of that policy at that scale merged into the
    section of its method (a costly architecture can take smaller batches on the same instances)."""
    exp = config["experiments"][experiment]
    per_policy = exp.get("policy_options", {})
    unknown = sorted(set(per_policy) - set(exp.get("policies", [])))
    if unknown:
        raise ConfigError(f"experiments.{experiment}.policy_options names {unknown}, not among its policies {exp.get('policies', [])}")
    sizes = merge(scale_sizes(config, scale), exp.get("sizes", {}).get(scale, {}))
    extra = per_policy.get(policy, {}).get(scale, {}) if policy else {}
    return merge(sizes, {config["policies"][policy]["method"]: extra}) if extra else sizes


def run_sizes(config: dict, experiment: str | None, scale: str, policy: str, learned: bool) -> dict:
    """What one run's numbers depend on of the sizes: the splits it uses (a learned policy never
    draws the heuristics' search paths) and the options of its own method, nothing else, so that
    changing one method's budget reruns only that method's runs."""
    sizes = experiment_sizes(config, experiment, scale, policy) if experiment else scale_sizes(config, scale)
    method = config["policies"][policy]["method"]
    splits = ("train", "dev", "test") if learned else SPLITS
    return {**{k: sizes[k] for k in splits}, method: sizes.get(method, {})}


def demand_sizes(config: dict, experiment: str, scale: str) -> dict:
    """The splits' sizes only: what the synthetic demand of an experiment depends on."""
    sizes = experiment_sizes(config, experiment, scale)
    return {k: sizes[k] for k in SPLITS}


def experiment_at_scale(experiment: dict, scale: str) -> dict:
    """The experiment with its ``at_scale[scale]`` entries (grid or cases, seeds, train sizes) put in place."""
    replacement = experiment.get("at_scale", {}).get(scale, {})
    instances_given = bool(replacement.get("grid") or replacement.get("cases"))
    kept = {k: v for k, v in experiment.items() if not (instances_given and k in ("grid", "cases"))}
    return {**kept, **replacement}
