"""Perishable inventory: shelf life, lead time, FIFO/LIFO/mixed issuing, lost sales (De Moor et al. 2022)."""

from __future__ import annotations

from invrl.demand.data import DemandData
from invrl.demand.synthetic import demand_mean
from invrl.families import SYSTEM_FAMILIES, SystemFamily
from invrl.registry import lazy
from invrl.systems.perishable import Perishable


def build(setting: dict, demand: DemandData | None = None) -> Perishable:
    """Synthetic demand: one law for every sample. Real demand: one system per series and location,
    scaled by each series' mean train-window demand."""
    real = demand is not None
    return Perishable(
        shelf_life=setting["shelf_life"],
        lead_time=setting["lead_time"],
        issuing=setting["issuing"],
        fifo_share=setting.get("fifo_share"),
        ordering_cost=setting["ordering_cost"],
        holding_cost=setting["holding_cost"],
        shortage_cost=setting["shortage_cost"],
        outdating_cost=setting["outdating_cost"],
        max_order=setting["max_order"],
        demand_mean=demand.sample_params["demand_mean"].clamp_min(1e-3) if real else demand_mean(setting["demand"]),
        n_locations=demand.n_locations if real else 1,
    )


SYSTEM_FAMILIES.register("perishable", SystemFamily(
    name="perishable",
    system=Perishable,
    build=build,
    schema={"$ref": "#/$defs/perishable_setting"},
    demand_law=lambda setting: dict(setting["demand"]),
    optimum=lazy("invrl.exact.perishable:optimum_for"),
    heuristics=("perishable_base_stock", "sellable_base_stock", "perishable_constant_order"),
))
