"""Policy registries: neural architectures by (name, system class) and heuristics by name.

An architecture registers the ``System`` class it serves (a subclass is served
too), its options dataclass and a builder; ``build_policy`` finds the entry
for a system without testing its type. A heuristic registers its builder and
either its search grid or a function that computes its parameters exactly
(echelon base-stock's Clark-Scarf levels); ``train.heuristic_search`` fits
any of them the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from invrl.errors import ConfigError
from invrl.options import options_from_dict
from invrl.registry import Registry
from invrl.systems.base import System


@dataclass(frozen=True)
class Architecture:
    name: str
    system: type
    """The ``System`` class (and its subclasses) this architecture serves."""
    options: type
    """Frozen dataclass of its options (the policy's ``network:`` block in config.yaml)."""
    build: Callable[[System, object, int], nn.Module]
    """(system, options, number of exogenous features per period) -> a freshly initialised
    policy (seed torch first)."""


ARCHITECTURES: Registry[Architecture] = Registry(
    "policy architecture", builtins=("invrl.policies.mlp", "invrl.policies.network_policies", "invrl.policies.dual_sourcing_mlp",
    "invrl.policies.perishable_mlp", "invrl.policies.procurement_removal_mlp", "invrl.policies.sipn")
)


def register_architecture(name: str, system: type, options: type, build: Callable) -> Architecture:
    return ARCHITECTURES.register((name, system), Architecture(name, system, options, build))


def architecture_for(name: str, system_class: type) -> Architecture:
    """The entry of ``name`` serving ``system_class`` (or the nearest base class it serves)."""
    for cls in system_class.__mro__:
        if (name, cls) in ARCHITECTURES:
            return ARCHITECTURES[(name, cls)]
    served = sorted(a.name for (n, cls), a in ARCHITECTURES.items() if issubclass(system_class, cls))
    raise ConfigError(f"architecture {name!r} does not serve {system_class.__name__} systems; "
                      f"architectures that do: {', '.join(served) or 'none'}")


def build_policy(name: str, system: System, options: dict | None = None, *, n_features: int = 0,
                 where: str = "network") -> nn.Module:
    """A fresh policy of architecture ``name`` for ``system``; ``where`` names the options' config key."""
    entry = architecture_for(name, type(system))
    return entry.build(system, options_from_dict(entry.options, options, where), n_features)


@dataclass(frozen=True)
class Heuristic:
    name: str
    build: Callable[[dict[str, torch.Tensor], object], nn.Module]
    """(parameters as tensors, search demand) -> the policy."""
    grid: Callable[[System, float, float, float], dict[str, torch.Tensor]] | None = None
    """(system, demand mean, demand std, step) -> candidate values ``[K]`` per parameter; None: no search."""
    compute: Callable[[dict, System], dict[str, list]] | None = None
    """(setting, system) -> parameters computed exactly instead of searched (or a ConfigError)."""


HEURISTICS: Registry[Heuristic] = Registry(
    "heuristic", builtins=("invrl.policies.heuristics", "invrl.policies.echelon_stock", "invrl.policies.dual_index",
    "invrl.policies.perishable_base_stock", "invrl.policies.interval_policy")
)
