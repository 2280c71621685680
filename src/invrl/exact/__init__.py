"""Ground truth: exact optima of single-location settings (numpy/scipy only).

Lost sales with Poisson demand: dynamic programming (reproduces Zipkin 2008).
Backlog: base-stock is optimal, a newsvendor on the demand of L + 1 periods.
Zero lead time: the newsvendor, for lost sales and backlog alike.
Serial system with backlog: echelon base-stock levels by the Clark-Scarf recursion.
"""

from __future__ import annotations

from invrl.exact.backlog import (
    backlog_optimum_normal,
    backlog_optimum_poisson,
    backlog_optimum_truncated_normal,
    base_stock_cost,
)
from invrl.exact.clark_scarf import SerialOptimum, clark_scarf, clark_scarf_poisson, serial_base_stock_cost
from invrl.exact.lost_sales_dp import LostSalesOptimum, lost_sales_optimum
from invrl.exact.newsvendor import (
    BaseStockOptimum,
    newsvendor,
    newsvendor_discrete,
    newsvendor_normal,
    newsvendor_poisson,
)
from invrl.exact.transshipment_bound import TransshipmentBound, transshipment_lower_bound

__all__ = [
    "BaseStockOptimum",
    "LostSalesOptimum",
    "SerialOptimum",
    "TransshipmentBound",
    "backlog_optimum_normal",
    "backlog_optimum_poisson",
    "backlog_optimum_truncated_normal",
    "base_stock_cost",
    "clark_scarf",
    "clark_scarf_poisson",
    "lost_sales_optimum",
    "newsvendor",
    "newsvendor_discrete",
    "newsvendor_normal",
    "newsvendor_poisson",
    "optimum_for",
    "serial_base_stock_cost",
    "transshipment_lower_bound",
]


def optimum_for(setting: dict) -> dict | None:
    """The exact optimum of a resolved single-location setting, or None where none is known
    (the ``single_location`` family's ``optimum``; ``families.optimum_of`` dispatches by family).

    Known: lost sales with Poisson demand (DP), any lost-sales or backlog
    setting with L = 0 and Poisson/normal demand (newsvendor), backlog with
    Poisson or normal demand (base-stock). Normal demand means normal
    conditioned on >= 0, as the simulator samples it. Negative binomial
    demand and lost sales with normal demand and L >= 1 give None.
    """
    demand = setting["demand"]
    distribution = demand["distribution"]
    lead_time = int(setting["lead_time"])
    p, h = float(setting["shortage_cost"]), float(setting["holding_cost"])
    if distribution == "poisson":
        if setting["lost_sales"] and lead_time > 0:
            result = lost_sales_optimum(float(demand["mean"]), lead_time, p, h)
            return {"optimal_cost": result.cost, "method": "dynamic_programming", "iterations": result.iterations}
        best = backlog_optimum_poisson(float(demand["mean"]), lead_time, p, h)
        method = "newsvendor" if lead_time == 0 else "base_stock"
    elif distribution == "normal":
        if setting["lost_sales"] and lead_time > 0:
            return None
        best = backlog_optimum_truncated_normal(float(demand["mean"]), float(demand["std"]), lead_time, p, h)
        method = "newsvendor" if lead_time == 0 else "base_stock"
    else:
        return None
    return {"optimal_cost": best.cost, "method": method, "base_stock_level": best.level}
