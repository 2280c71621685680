"""Ground truth: dynamic programming and closed forms for the single-location settings."""

from __future__ import annotations

from invrl.exact.backlog import (
    BaseStockOptimum,
    backlog_optimum_normal,
    backlog_optimum_poisson,
    backlog_optimum_truncated_normal,
    base_stock_cost,
)
from invrl.exact.lost_sales_dp import LostSalesOptimum, lost_sales_optimum
from invrl.exact.newsvendor import newsvendor_discrete, newsvendor_normal, newsvendor_poisson

__all__ = [
    "BaseStockOptimum", "LostSalesOptimum", "backlog_optimum_normal", "backlog_optimum_poisson",
    "backlog_optimum_truncated_normal", "base_stock_cost", "lost_sales_optimum", "newsvendor_discrete",
    "newsvendor_normal", "newsvendor_poisson", "optimum_for",
]


def optimum_for(setting: dict) -> dict | None:
    """The exact optimum of a validated single-location setting, or None where none is known."""
    if setting.get("system") != "single_location":
        return None
    demand, lead = setting["demand"], int(setting["lead_time"])
    p, h = float(setting["shortage_cost"]), float(setting["holding_cost"])
    if setting.get("lost_sales", True):
        if demand["distribution"] != "poisson":
            return None
        result = lost_sales_optimum(demand["mean"], lead, p, h)
        return {"optimal_cost": result.cost, "method": "dynamic_programming", "iterations": result.iterations}
    if demand["distribution"] == "poisson":
        result = backlog_optimum_poisson(demand["mean"], lead, p, h)
    elif demand["distribution"] == "normal":
        result = backlog_optimum_truncated_normal(demand["mean"], demand["std"], lead, p, h)
    else:
        return None
    return {"optimal_cost": result.cost, "method": "base_stock_closed_form", "base_stock_level": result.level}
