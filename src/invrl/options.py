"""Typed options: a config dict checked against the dataclass that consumes it.

Training methods and policy architectures take their options as frozen
dataclasses. The dataclass is the schema: an unknown key or a value of the
wrong type is a :class:`~invrl.errors.ConfigError` naming the full config key
(``scales.smoke.hdpo.max_step``) before any rule runs.
"""

from __future__ import annotations

import dataclasses
import difflib
import types
import typing

from invrl.errors import ConfigError


def _accepts(annotation, value) -> bool:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return any(_accepts(a, value) for a in typing.get_args(annotation))
    if annotation is type(None):
        return value is None
    if annotation is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if annotation is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if annotation in (bool, str):
        return isinstance(value, annotation)
    if origin is tuple or annotation is tuple:
        return isinstance(value, (list, tuple))
    return True  # anything richer is checked by the consumer


def unknown_key_message(key: str, where: str, known) -> str:
    close = difflib.get_close_matches(key, list(known), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"{where}.{key}: unknown key{hint}; known: {', '.join(sorted(known))}"


def options_from_dict(cls: type, values: dict | None, where: str):
    """``cls(**values)`` with lists as tuples; an unknown key or a mistyped value names ``where.key``."""
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    out = {}
    for key, value in (values or {}).items():
        if key not in fields:
            raise ConfigError(unknown_key_message(key, where, fields))
        if not _accepts(hints[key], value):
            raise ConfigError(f"{where}.{key}: expected {hints[key]}, got {value!r}")
        out[key] = tuple(value) if isinstance(value, list) else value
    try:
        return cls(**out)
    except (TypeError, ValueError) as error:
        raise ConfigError(f"{where}: {error}") from error


def options_schema(cls: type) -> dict:
    """A JSON schema of ``cls``'s fields (for documentation and editors): names, types and defaults."""
    names = {int: "integer", float: "number", bool: "boolean", str: "string"}
    hints = typing.get_type_hints(cls)
    properties = {}
    for f in dataclasses.fields(cls):
        entry = {"type": names[hints[f.name]]} if hints[f.name] in names else {}
        if f.default is not dataclasses.MISSING:
            entry["default"] = list(f.default) if isinstance(f.default, tuple) else f.default
        properties[f.name] = entry
    return {"type": "object", "additionalProperties": False, "properties": properties}
