"""Problem settings: read a settings file, apply overrides, validate with its family's schema.

The keys every setting has are in ``config/schema.yaml`` (``$defs/setting``);
the family's own keys come from its registry entry, so a new family brings
its schema with it. Defaults are filled in once, here.
"""

from __future__ import annotations

from pathlib import Path

from invrl.config import fill_defaults, merge, read_yaml, setting_path, validate
from invrl.errors import ConfigError
from invrl.families import SYSTEM_FAMILIES


def setting_schema(system: str) -> dict:
    """The whole schema of a setting of family ``system``: the common keys and the family's, no others."""
    return {"allOf": [{"$ref": "#/$defs/setting"}, SYSTEM_FAMILIES[system].schema], "unevaluatedProperties": False}


def resolve_setting(setting: dict, source: str) -> dict:
    """Validate a setting dict and fill its defaults (a new dict)."""
    system = setting.get("system")
    if not isinstance(system, str):
        raise ConfigError(f"{source} is invalid:\n  at key 'system': a setting names its family, one of {SYSTEM_FAMILIES.names()}")
    if system not in SYSTEM_FAMILIES:
        raise ConfigError(f"{source} is invalid:\n  at key 'system': unknown family {system!r}; known: {SYSTEM_FAMILIES.names()}")
    schema = setting_schema(system)
    resolved = merge(setting, {})
    validate(resolved, source, schema)
    return fill_defaults(resolved, schema)


def load_setting(name: str | Path, overrides: dict | None = None, directory: str | Path | None = None) -> dict:
    """The setting ``name`` (a file in ``directory``, by default config/settings, or a YAML path)
    with ``overrides`` applied, validated, defaults filled."""
    path = setting_path(str(name), directory)
    source = f"setting {path}" + (f" with overrides {overrides}" if overrides else "")
    return resolve_setting(merge(read_yaml(path), overrides or {}), source)


def setting_name(name: str | Path) -> str:
    """What a run records as its setting: the file's stem, never a machine's absolute path."""
    return Path(str(name)).stem
