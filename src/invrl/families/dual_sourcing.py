"""Dual sourcing: one location, a regular and an expedited supplier (Gijsbrechts et al. 2022's instances)."""

from __future__ import annotations

from invrl.demand.data import DemandData
from invrl.demand.synthetic import demand_mean
from invrl.families import SYSTEM_FAMILIES, SystemFamily
from invrl.registry import lazy
from invrl.systems.dual_sourcing import DualSourcing


def build(setting: dict, demand: DemandData | None = None) -> DualSourcing:
    """Synthetic demand: one law for every sample. Real demand: one system per series and location,
    scaled by each series' mean train-window demand."""
    real = demand is not None
    return DualSourcing(
        regular_lead_time=setting["regular_lead_time"],
        expedited_lead_time=setting["expedited_lead_time"],
        regular_cost=setting["regular_cost"],
        expedited_cost=setting["expedited_cost"],
        holding_cost=setting["holding_cost"],
        shortage_cost=setting["shortage_cost"],
        lost_sales=setting["lost_sales"],
        demand_mean=demand.sample_params["demand_mean"].clamp_min(1e-3) if real else demand_mean(setting["demand"]),
        n_locations=demand.n_locations if real else 1,
    )


SYSTEM_FAMILIES.register("dual_sourcing", SystemFamily(
    name="dual_sourcing",
    system=DualSourcing,
    build=build,
    schema={"$ref": "#/$defs/dual_sourcing_setting"},
    demand_law=lambda setting: dict(setting["demand"]),
    horizon_extension=lambda system: system.max_lead_time,
    optimum=lazy("invrl.exact.dual_sourcing:optimum_for"),
    heuristics=("single_index", "dual_index", "capped_dual_index", "tailored_base_surge"),
))
