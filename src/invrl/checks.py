"""Deep checks of a whole config, before any rule runs: every name resolves, every option is typed.

The JSON schema checks the shape of config.yaml; these checks need the
registries: each experiment's policies exist and fit its family, each
training method's options (at every place they can be given) are fields of
its options dataclass, each architecture's ``network`` options are fields
of its config, each figure exists, and every instance of every experiment
(setting file plus grid values) is a valid setting. Every error names the key.
"""

from __future__ import annotations

from pathlib import Path

from invrl.config import SPLITS, experiment_at_scale, instance_values, overrides_of, setting_path
from invrl.errors import ConfigError
from invrl.families import SYSTEM_FAMILIES
from invrl.options import options_from_dict, unknown_key_message
from invrl.policies.registry import ARCHITECTURES, HEURISTICS, architecture_for
from invrl.registry import load_plugins
from invrl.settings import load_setting
from invrl.train.method import TRAINING_METHODS

POLICY_KEYS = ("method", "architecture", "network")


def check_method_sections(block: dict, where: str, allowed: tuple[str, ...] = ()) -> None:
    """Every key of ``block`` is one of ``allowed`` or a training method whose options it holds."""
    for key, value in block.items():
        if key in allowed:
            continue
        if key not in TRAINING_METHODS:
            raise ConfigError(unknown_key_message(key, where, [*allowed, *TRAINING_METHODS.names()]))
        options_from_dict(TRAINING_METHODS[key].options, value, f"{where}.{key}")


def check_policies(config: dict) -> None:
    for name, policy in config["policies"].items():
        where = f"policies.{name}"
        method = TRAINING_METHODS.get(policy["method"])
        if method is None:
            raise ConfigError(f"{where}.method: unknown training method {policy['method']!r}; known: {TRAINING_METHODS.names()}")
        check_method_sections(policy, where, POLICY_KEYS)
        if method.learned:
            architecture = policy.get("architecture", "mlp")
            entries = [a for (n, _), a in ARCHITECTURES.items() if n == architecture]
            if not entries:
                known = sorted({n for n, _ in ARCHITECTURES.names()})
                raise ConfigError(f"{where}.architecture: unknown architecture {architecture!r}; known: {known}")
            for entry in entries:
                options_from_dict(entry.options, policy.get("network"), f"{where}.network")
        elif policy.get("architecture", name) not in HEURISTICS:
            raise ConfigError(f"{where}: unknown heuristic {policy.get('architecture', name)!r}; known: {HEURISTICS.names()}")


def check_scales(config: dict) -> None:
    for scale, sizes in config["scales"].items():
        check_method_sections(sizes, f"scales.{scale}", SPLITS)


def check_experiment(config: dict, name: str, experiment: dict, scale: str, settings: Path, figures=()) -> int:
    """Check one experiment at one scale; return its number of instances."""
    where = f"experiments.{name}"
    path = setting_path(experiment["setting"], settings)
    if not path.exists():
        raise ConfigError(f"{where}.setting: no setting file {path}")
    for policy in experiment["policies"]:
        if policy not in config["policies"]:
            raise ConfigError(unknown_key_message(policy, f"{where}.policies", config["policies"]).replace("unknown key", "unknown policy"))
    for block, sizes in experiment.get("sizes", {}).items():
        check_method_sections(sizes, f"{where}.sizes.{block}", SPLITS)
    for policy, per_scale in experiment.get("policy_options", {}).items():
        if policy not in experiment["policies"]:
            raise ConfigError(f"{where}.policy_options.{policy}: not among the experiment's policies {experiment['policies']}")
        method = TRAINING_METHODS[config["policies"][policy]["method"]]
        for block, options in per_scale.items():
            options_from_dict(method.options, options, f"{where}.policy_options.{policy}.{block}")
    for figure in experiment.get("figures", []):
        if figures and figure not in figures:
            raise ConfigError(unknown_key_message(figure, f"{where}.figures", figures).replace("unknown key", "unknown figure"))
    values = instance_values(experiment_at_scale(experiment, scale))
    for instance, flat in values.items():
        try:
            setting = load_setting(path, overrides_of(flat))
        except ConfigError as error:
            raise ConfigError(f"{where}, instance {instance} (grid values {flat}): {error}") from None
        family = SYSTEM_FAMILIES[setting["system"]]
        for policy in experiment["policies"]:
            entry = config["policies"][policy]
            if TRAINING_METHODS[entry["method"]].learned:
                architecture_for(entry.get("architecture", "mlp"), family.system)
            elif entry.get("architecture", policy) not in family.heuristics:
                raise ConfigError(f"{where}.policies: heuristic {entry.get('architecture', policy)!r} does not apply to "
                                  f"{family.name} settings; ones that do: {', '.join(family.heuristics) or 'none'}")
    return len(values)


def check_config(config: dict, settings: str | Path, scale: str | None = None, figures=(), base: str | Path | None = None) -> None:
    """Every check above, for the experiments at ``scale`` (default: the config's)."""
    load_plugins(config.get("plugins", []), base)
    check_policies(config)
    check_scales(config)
    scale = scale or config["scale"]
    for name, experiment in config["experiments"].items():
        check_experiment(config, name, experiment, scale, Path(settings), figures)
