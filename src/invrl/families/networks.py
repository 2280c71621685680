"""The four network families on the one ``Network`` simulator (``systems/topologies.py``)."""

from __future__ import annotations

from invrl.families import SYSTEM_FAMILIES, SystemFamily
from invrl.registry import lazy
from invrl.systems.network import Network
from invrl.systems.topologies import BUILDERS, longest_path_lead_time, store_demand_law

OPTIMA = {
    "serial": lazy("invrl.exact.network:serial_optimum"),
    "transshipment": lazy("invrl.exact.network:transshipment_bound"),
}
HEURISTICS = {"serial": ("echelon_stock",)}

for name, builder in BUILDERS.items():
    SYSTEM_FAMILIES.register(name, SystemFamily(
        name=name,
        system=Network,
        build=lambda setting, demand=None, builder=builder: builder(setting),
        schema={"$ref": f"#/$defs/{name}_setting"},
        demand_law=store_demand_law,
        horizon_extension=longest_path_lead_time,
        optimum=OPTIMA.get(name, lambda setting: None),
        heuristics=HEURISTICS.get(name, ()),
    ))
