"""Problem families: what the core needs to know about each kind of system, by name.

A family ties together, in one registry entry, the pieces that live in
different layers: how to build the :class:`~invrl.systems.base.System` from a
validated setting, the JSON schema of its setting keys, how far its horizons
grow (the longest lead time), its synthetic demand law, its exact optimum or
bound where one is known, and which heuristics apply to it. ``instance.py``,
``exact`` dispatch and the config checks ask the registry; none of them tests
a family's name. A new family is one module that calls
``SYSTEM_FAMILIES.register`` (built-in ones are listed below; a user's own
go under ``plugins:`` in the config).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from invrl.demand.data import DemandData
from invrl.errors import IntractableError
from invrl.registry import Registry
from invrl.systems.base import System


def _no_optimum(setting: dict) -> dict | None:
    return None


def _longest_lead_time(system: System) -> int:
    return system.max_lead_time


@dataclass(frozen=True)
class SystemFamily:
    name: str
    system: type
    """The ``System`` class it builds (policy architectures are registered per System class)."""
    build: Callable[[dict, DemandData | None], System]
    """(validated setting, real demand's train split or None) -> System. Real data gives the
    shape ``[series, location]`` and per-series parameters (``sample_params['demand_mean']``)."""
    schema: dict
    """JSON schema of the family's own setting keys (``{"$ref": "#/$defs/..."}`` into
    config/schema.yaml, or a whole schema); merged with the keys every setting has."""
    demand_law: Callable[[dict], dict]
    """Keyword arguments of ``demand.synthetic.sample_split`` (with ``distribution``)."""
    horizon_extension: Callable[[System], int] = _longest_lead_time
    """Periods added to every split's horizon and warm-up: the longest supplier-to-store lead time."""
    optimum: Callable[[dict], dict | None] = _no_optimum
    """The exact optimum (``optimal_cost``) or a lower bound (``lower_bound``) of a setting, or None."""
    heuristics: tuple[str, ...] = field(default=())
    """Names of the heuristics (``policies.registry.HEURISTICS``) that apply to this family."""


log = logging.getLogger(__name__)

SYSTEM_FAMILIES: Registry[SystemFamily] = Registry(
    "system family", builtins=("invrl.families.single_location", "invrl.families.networks", "invrl.families.dual_sourcing",
    "invrl.families.perishable", "invrl.families.procurement_removal")
)


def family_of(setting: dict) -> SystemFamily:
    return SYSTEM_FAMILIES[setting["system"]]


def optimum_of(setting: dict) -> dict | None:
    """The exact optimum (or lower bound) of a validated setting from its family, or None."""
    if "source" in setting["demand"]:
        return None  # real demand: no law, so no optimum
    try:
        return family_of(setting).optimum(setting)
    except IntractableError as error:
        log.warning("no optimum for this setting: %s", error)
        return None
