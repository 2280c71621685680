"""Ground truth for the network settings: the Clark-Scarf optimum of a serial line
and the pooling lower bound of a transshipment centre.

One warehouse with many stores and several warehouses have no known optimum;
their tables report each policy's excess over the best policy found.
"""

from __future__ import annotations

from invrl.exact.clark_scarf import clark_scarf_poisson
from invrl.systems.topologies import one_warehouse_parameters, serial_parameters


def serial_optimum(setting: dict) -> dict | None:
    """Clark-Scarf levels and cost for Poisson demand with backlog at the store."""
    if setting["demand"]["distribution"] != "poisson" or setting.get("lost_sales", False):
        return None
    lead_times, holding = serial_parameters(setting)
    best = clark_scarf_poisson(float(setting["demand"]["mean"]), lead_times, holding, float(setting["shortage_cost"]))
    return {"optimal_cost": best.cost, "method": "clark_scarf", "echelon_levels": list(best.echelon_levels)}


def transshipment_bound(setting: dict) -> dict | None:
    """The pooling lower bound (per period per store) when all stores share one lead time."""
    from invrl.exact.transshipment_bound import transshipment_lower_bound

    demand = setting["demand"]
    if demand["distribution"] != "normal" or setting.get("lost_sales", False):
        return None
    n = int(setting["n_stores"])
    store = one_warehouse_parameters(setting)
    if len(set(store["lead_time"].tolist())) != 1:
        return None
    bound = transshipment_lower_bound(
        means=store["demand_mean"], stds=store["demand_mean"] * store["demand_cv"],
        correlation=float(demand.get("correlation", 0.0)), holding_costs=store["holding_cost"],
        shortage_costs=store["shortage_cost"], warehouse_lead_time=store["warehouse_lead_time"],
        store_lead_time=int(store["lead_time"][0]),
    )
    return {"lower_bound": bound.lower_bound_per_store, "method": "pooling_lower_bound",
            "decoupled_bound": bound.decoupled_bound / n}
