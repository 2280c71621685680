"""Named registries: how a problem family, a policy or a training method joins the core.

A registry maps a name to an entry. Built-in entries register themselves in
their own modules, which a registry imports on first use; a user's own
families and policies register from any module listed under ``plugins:`` in
the config (or passed to :func:`load_plugins`), so adding one needs no edit
of shared code.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Generic, TypeVar

from invrl.errors import ConfigError

T = TypeVar("T")


class Registry(Generic[T]):
    """Entries of one kind by name; ``builtins`` are the modules that register the built-in ones."""

    def __init__(self, kind: str, builtins: Iterable[str] = ()):
        self.kind = kind
        self._builtins = tuple(builtins)
        self._entries: dict = {}
        self._loaded = False

    def register(self, name, entry: T | None = None, *, replace: bool = False):
        """Add ``entry`` under ``name`` (or decorate it); a second entry of one name is an error."""

        def add(value):
            if name in self._entries and not replace and self._entries[name] is not value:
                raise ValueError(f"{self.kind} {name!r} is registered twice")
            self._entries[name] = value
            return value

        return add if entry is None else add(entry)

    def _load(self) -> None:
        if not self._loaded:
            self._loaded = True
            for module in self._builtins:
                importlib.import_module(module)

    def __contains__(self, name) -> bool:
        self._load()
        return name in self._entries

    def __getitem__(self, name) -> T:
        self._load()
        if name not in self._entries:
            raise ConfigError(f"unknown {self.kind} {name!r}; known: {', '.join(map(str, self.names()))}")
        return self._entries[name]

    def get(self, name, default=None):
        self._load()
        return self._entries.get(name, default)

    def names(self) -> list:
        self._load()
        return sorted(self._entries, key=str)

    def items(self):
        self._load()
        return list(self._entries.items())


def load_plugins(modules: Iterable[str], base: str | Path | None = None) -> None:
    """Import each plugin: a module name (``mypackage.families``) or a ``.py`` file (relative to ``base``)."""
    for module in modules:
        if str(module).endswith(".py"):
            path = Path(module)
            path = path if path.is_absolute() or base is None else Path(base) / path
            if not path.exists():
                raise ConfigError(f"plugin file {path} does not exist (config key plugins)")
            name = f"invrl_plugin_{path.stem}"
            if name in sys.modules:
                continue
            spec = importlib.util.spec_from_file_location(name, path)
            loaded = importlib.util.module_from_spec(spec)
            sys.modules[name] = loaded
            spec.loader.exec_module(loaded)
        else:
            try:
                importlib.import_module(module)
            except ModuleNotFoundError as error:
                raise ConfigError(f"plugin module {module!r} cannot be imported ({error}); config key plugins") from error


def lazy(path: str) -> Callable:
    """``"package.module:function"`` as a callable that imports on first call (keeps start-up light)."""
    module, _, attribute = path.partition(":")

    def call(*args, **kwargs):
        return getattr(importlib.import_module(module), attribute)(*args, **kwargs)

    call.__name__ = attribute
    call.__qualname__ = path
    return call
