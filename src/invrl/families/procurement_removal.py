"""Joint procurement and removal with customer returns: one location, order or salvage each period."""

from __future__ import annotations

from invrl.demand.data import DemandData
from invrl.demand.synthetic import demand_mean
from invrl.errors import ConfigError
from invrl.families import SYSTEM_FAMILIES, SystemFamily
from invrl.registry import lazy
from invrl.systems.procurement_removal import ProcurementRemoval


def build(setting: dict, demand: DemandData | None = None) -> ProcurementRemoval:
    """Synthetic demand only: the returns are drawn with the demand (``demand_law``)."""
    if demand is not None or "source" in setting["returns"]:
        raise ConfigError("procurement_removal settings need synthetic demand and returns laws (distribution), "
                          "not a data source: real data carry no returns")
    return ProcurementRemoval(
        lead_time=setting["lead_time"],
        ordering_cost=setting["ordering_cost"],
        salvage_value=setting["salvage_value"],
        holding_cost=setting["holding_cost"],
        shortage_cost=setting["shortage_cost"],
        lost_sales=setting["lost_sales"],
        demand_mean=demand_mean(setting["demand"]),
        returns_mean=demand_mean(setting["returns"]),
    )


def demand_law(setting: dict) -> dict:
    """Demand and returns as two "locations" of one draw: ``[S, 2, T]``, column 0 demand, column 1
    returns (``systems.procurement_removal``). One ``sample_split`` call draws both, so the returns
    must follow the demand's distribution family (their parameters may differ)."""
    d, r = setting["demand"], setting["returns"]
    if "source" in d or "source" in r:
        raise ConfigError("procurement_removal settings need synthetic demand and returns laws (distribution)")
    if d["distribution"] != r["distribution"]:
        raise ConfigError(f"procurement_removal: returns must follow the demand's distribution "
                          f"({d['distribution']!r}), got {r['distribution']!r}")
    keys = sorted((set(d) | set(r)) - {"distribution", "correlation"})
    missing = [k for k in keys if k not in d or k not in r]
    if missing:
        raise ConfigError(f"procurement_removal: demand and returns must give the same parameters; missing {missing}")
    return {"distribution": d["distribution"], "n_locations": 2, **{k: [d[k], r[k]] for k in keys}}


SYSTEM_FAMILIES.register("procurement_removal", SystemFamily(
    name="procurement_removal",
    system=ProcurementRemoval,
    build=build,
    schema={"$ref": "#/$defs/procurement_removal_setting"},
    demand_law=demand_law,
    optimum=lazy("invrl.exact.procurement_removal:optimum_for"),
    heuristics=("interval",),
))
