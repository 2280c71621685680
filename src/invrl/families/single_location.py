"""One stocking location with lost sales or backlog (Zipkin's lost-sales cells, the backlog grid)."""

from __future__ import annotations

from invrl.demand.data import DemandData
from invrl.demand.synthetic import demand_mean
from invrl.families import SYSTEM_FAMILIES, SystemFamily
from invrl.registry import lazy
from invrl.systems.single_location import SingleLocation


def build(setting: dict, demand: DemandData | None = None) -> SingleLocation:
    """Synthetic demand: one law for every sample. Real demand: one system per series and location,
    scaled by each series' mean train-window demand."""
    real = demand is not None
    return SingleLocation(
        lead_time=setting["lead_time"],
        holding_cost=setting["holding_cost"],
        shortage_cost=setting["shortage_cost"],
        lost_sales=setting["lost_sales"],
        demand_mean=demand.sample_params["demand_mean"].clamp_min(1e-3) if real else demand_mean(setting["demand"]),
        n_locations=demand.n_locations if real else 1,
    )


SYSTEM_FAMILIES.register("single_location", SystemFamily(
    name="single_location",
    system=SingleLocation,
    build=build,
    schema={"$ref": "#/$defs/single_location_setting"},
    demand_law=lambda setting: dict(setting["demand"]),
    optimum=lazy("invrl.exact:optimum_for"),
    heuristics=("base_stock", "capped_base_stock", "myopic", "constant_order"),
))
