"""The network families as topologies of the one ``Network`` simulator.

Each builder turns a validated setting into a ``Network``: a serial line, one
warehouse with many stores (lost sales), a transshipment centre (no stock at
the centre, backlog at stores) and several warehouses with a store-warehouse
adjacency. Store parameters given as ``[low, high]`` are drawn once per
instance from ``instance_seed``, so train, dev and test share one network.
Nodes ``0..N-1`` are stores, then warehouses (``systems/network.py``).
"""

from __future__ import annotations

import numpy as np

from invrl.systems.network import SUPPLIER, Network

NETWORK_SYSTEMS = ("serial", "one_warehouse", "transshipment", "multi_warehouse")


def draw(value, size: int, rng: np.random.Generator, integer: bool = False) -> np.ndarray:
    """A scalar (shared), a ``[low, high]`` range (uniform per item, inclusive for integers)."""
    if np.isscalar(value):
        return np.full(size, value, dtype=int if integer else float)
    low, high = value
    return rng.integers(low, high + 1, size) if integer else rng.uniform(low, high, size)


def serial_parameters(setting: dict) -> tuple[list[int], list[float]]:
    """Lead times into each location and installation holding costs, store first.

    ``lead_time`` is the store's, ``upstream_lead_time`` those of the edges above it
    (bottom up); lists longer than the line are cut to it, so one setting serves a
    grid over ``n_locations``.
    """
    k = int(setting["n_locations"])
    upstream = setting.get("upstream_lead_time", 1)
    upstream = [upstream] * (k - 1) if np.isscalar(upstream) else list(upstream)[: k - 1]
    holding = setting["holding_cost"]
    holding = [holding] * k if np.isscalar(holding) else list(holding)[:k]
    if len(upstream) != k - 1 or len(holding) != k:
        raise ValueError(f"serial with {k} locations needs {k - 1} upstream lead times and {k} holding costs")
    return [int(setting["lead_time"]), *map(int, upstream)], [float(h) for h in holding]


def serial(setting: dict) -> Network:
    """Store (node 0) <- warehouse 1 <- ... <- warehouse K-1 <- supplier; backlog at the store."""
    k = int(setting["n_locations"])
    lead_times, holding = serial_parameters(setting)
    source = [*range(1, k), SUPPLIER]
    destination = list(range(k))
    shortage = [float(setting["shortage_cost"])] + [0.0] * (k - 1)
    return Network(
        n_stores=1, n_warehouses=k - 1, source=source, destination=destination,
        lead_time=lead_times, holding_cost=holding,
        shortage_cost=shortage, demand_mean=float(setting["demand"]["mean"]), lost_sales=setting.get("lost_sales", False),
    )


def store_parameters(setting: dict, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    stores = setting["stores"]
    return {
        "lead_time": draw(stores["lead_time"], n, rng, integer=True),
        "holding_cost": draw(stores["holding_cost"], n, rng),
        "shortage_cost": draw(stores["shortage_cost"], n, rng),
        "demand_mean": draw(stores["demand_mean"], n, rng),
        "demand_cv": draw(stores.get("demand_cv", 0.0), n, rng),
    }


def one_warehouse_parameters(setting: dict) -> dict[str, np.ndarray | int]:
    """The per-instance draws of a one-warehouse (or transshipment) setting: the store
    parameters, then ``warehouse_lead_time``. The simulator and the exact bound both read
    them here, so they always describe the same instance."""
    rng = np.random.default_rng(int(setting.get("instance_seed", 0)))
    store = store_parameters(setting, int(setting["n_stores"]), rng)
    return {**store, "warehouse_lead_time": int(draw(setting["warehouse_lead_time"], 1, rng, integer=True)[0])}


def one_warehouse(setting: dict, holds_stock: bool = True) -> Network:
    """One warehouse (node N) supplies N stores; stores lose unmet demand (backlog: ``lost_sales: false``)."""
    n = int(setting["n_stores"])
    store = one_warehouse_parameters(setting)
    return Network(
        n_stores=n, n_warehouses=1, source=[SUPPLIER] + [n] * n, destination=[n, *range(n)],
        lead_time=[store["warehouse_lead_time"], *store["lead_time"]],
        holding_cost=[*store["holding_cost"], float(setting.get("warehouse_holding_cost", 0.0)) if holds_stock else 0.0],
        shortage_cost=[*store["shortage_cost"], 0.0], demand_mean=store["demand_mean"],
        lost_sales=setting.get("lost_sales", True), holds_stock=[True] * n + [holds_stock],
    )


def transshipment(setting: dict) -> Network:
    """A centre that holds no stock: everything it receives is shipped on; stores backlog."""
    return one_warehouse({**setting, "lost_sales": setting.get("lost_sales", False)}, holds_stock=False)


def multi_warehouse(setting: dict) -> Network:
    """W warehouses, N stores; store i is adjacent to ``connections`` warehouses (chosen per
    instance, every warehouse serving at least one store), each edge with its own lead time
    and per-unit shipping cost."""
    n, w = int(setting["n_stores"]), int(setting["n_warehouses"])
    per_store = int(setting.get("connections", 1))
    if not 1 <= per_store <= w:
        raise ValueError(f"connections must be between 1 and n_warehouses={w}, got {per_store}")
    rng = np.random.default_rng(int(setting.get("instance_seed", 0)))
    store = store_parameters(setting, n, rng)
    source, destination = [SUPPLIER] * w, list(range(n, n + w))
    for i in range(n):
        first = n + i % w  # round-robin first link: every warehouse serves a store
        others = rng.permutation([x for x in range(n, n + w) if x != first])[: per_store - 1]
        for warehouse in (first, *others):
            source.append(int(warehouse))
            destination.append(i)
    edges = len(source) - w
    return Network(
        n_stores=n, n_warehouses=w, source=source, destination=destination,
        lead_time=[*draw(setting["warehouse_lead_time"], w, rng, integer=True), *draw(setting["stores"]["lead_time"], edges, rng, integer=True)],
        holding_cost=[*store["holding_cost"], *draw(setting.get("warehouse_holding_cost", 0.0), w, rng)],
        shortage_cost=[*store["shortage_cost"], *[0.0] * w], demand_mean=store["demand_mean"],
        shipping_cost=[0.0] * w + list(draw(setting.get("shipping_cost", 0.0), edges, rng)),
        lost_sales=setting.get("lost_sales", True),
    )


BUILDERS = {"serial": serial, "one_warehouse": one_warehouse, "transshipment": transshipment, "multi_warehouse": multi_warehouse}


def build_network(setting: dict) -> Network:
    return BUILDERS[setting["system"]](setting)


def store_demand_law(setting: dict) -> dict:
    """Keyword arguments of ``sample_split`` for the stores of a network setting (same draws as the builder)."""
    law = dict(setting["demand"])
    distribution = law.pop("distribution")
    if setting["system"] == "serial":
        return {"distribution": distribution, "n_locations": 1, **law}
    n = int(setting["n_stores"])
    store = store_parameters(setting, n, np.random.default_rng(int(setting.get("instance_seed", 0))))
    law["mean"] = store["demand_mean"].tolist()
    if distribution == "normal":
        law["std"] = (store["demand_mean"] * store["demand_cv"]).tolist()
    return {"distribution": distribution, "n_locations": n, **law}


def longest_path_lead_time(network: Network) -> int:
    """The largest total lead time from the supplier to a store (horizons grow by it)."""
    lead = network.lead_time.max(0).values.tolist()
    best = [0] * network.n_nodes
    for _ in range(network.n_nodes):  # relax along edges; a DAG settles within n_nodes sweeps
        for e, (s, d) in enumerate(zip(network.source.tolist(), network.destination.tolist())):
            best[d] = max(best[d], (0 if s < 0 else best[s]) + lead[e])
    return max(best[: network.n_stores])
