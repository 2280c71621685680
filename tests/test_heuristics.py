"""Heuristic search finds the known optimum where one exists."""

import pytest
import torch

from invrl.demand.synthetic import sample_demand
from invrl.exact import backlog_optimum_poisson, lost_sales_optimum
from invrl.policies.registry import HEURISTICS
from invrl.systems.single_location import SingleLocation
from invrl.train.heuristic_search import HeuristicSearchConfig, fit_heuristic
from invrl.train.method import Problem


def fit(name, system, search, dev, *, search_warmup, dev_warmup, round_actions, per_sample=False):
    problem = Problem(system=system, setting={}, train=search, dev=dev, train_warmup=search_warmup, dev_warmup=dev_warmup,
                      round_actions=round_actions, search=lambda: (search, search_warmup))
    return fit_heuristic(problem, HEURISTICS[name], HeuristicSearchConfig(per_sample=per_sample))


def test_base_stock_search_finds_the_backlog_optimum():
    """Backlog with Poisson demand: base-stock is optimal; the search must find its level."""
    system = SingleLocation(lead_time=2, holding_cost=1, shortage_cost=9, lost_sales=False, demand_mean=5.0)
    search = sample_demand("poisson", 1024, 200, seed=1)
    dev = sample_demand("poisson", 1024, 200, seed=2)
    fitted = fit("base_stock", system, search, dev, search_warmup=20, dev_warmup=20, round_actions=True)
    opt = backlog_optimum_poisson(5.0, 2, 9.0)
    assert abs(fitted.parameters["level"] - opt.level) <= 1
    assert fitted.dev_cost == pytest.approx(opt.cost, rel=0.02)


def test_capped_base_stock_is_near_optimal_for_lost_sales():
    """Xin (2021): capped base-stock is within about 1% of optimal for Zipkin's instances."""
    system = SingleLocation(lead_time=2, holding_cost=1, shortage_cost=4, lost_sales=True, demand_mean=5.0)
    search = sample_demand("poisson", 512, 200, seed=1)
    dev = sample_demand("poisson", 1024, 300, seed=2)
    fitted = fit("capped_base_stock", system, search, dev, search_warmup=20, dev_warmup=50, round_actions=True)
    optimum = lost_sales_optimum(5.0, 2, 4.0).cost
    assert fitted.dev_cost < optimum * 1.015
    assert fitted.parameters["cap"] < 3 * 5.0  # the cap binds: not a plain base-stock policy


def test_myopic_is_the_newsvendor_at_zero_lead_time():
    system = SingleLocation(lead_time=0, holding_cost=1, shortage_cost=4, lost_sales=True, demand_mean=5.0)
    search = sample_demand("poisson", 256, 100, seed=1)
    dev = sample_demand("poisson", 2048, 50, seed=2)
    fitted = fit("myopic", system, search, dev, search_warmup=5, dev_warmup=5, round_actions=True)
    newsvendor = lost_sales_optimum(5.0, 0, 4.0).cost
    assert fitted.dev_cost == pytest.approx(newsvendor, rel=0.02)


def test_per_sample_search_finds_each_series_its_own_level():
    """Two series of different means (backlog, Poisson): each gets its own optimal base-stock level
    within one grid step (one twentieth of the grid's range in units of its mean)."""
    means = torch.tensor([[3.0], [12.0]])
    system = SingleLocation(lead_time=1, holding_cost=1, shortage_cost=9, lost_sales=False, demand_mean=means)
    train = sample_demand("poisson", 2, 4000, seed=1, mean=means)
    dev = sample_demand("poisson", 2, 4000, seed=2, mean=means)
    fitted = fit("base_stock", system, train, dev, search_warmup=10, dev_warmup=10, round_actions=False, per_sample=True)
    levels = torch.tensor(fitted.parameters["level"]).flatten()
    for level, mean in zip(levels.tolist(), means.flatten().tolist()):
        assert abs(level - backlog_optimum_poisson(mean, 1, 9.0).level) <= 1.0
