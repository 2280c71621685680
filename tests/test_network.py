"""The network simulator against ground truth: conservation, feasibility, lead times,
pathwise gradients, whole-unit rounding and the Clark-Scarf optimum of a serial line."""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn

from invrl.demand.data import DemandData
from invrl.demand.synthetic import sample_demand
from invrl.exact import clark_scarf_poisson, serial_base_stock_cost
from invrl.exact.newsvendor import poisson_pmf
from invrl.policies.allocation import feasible_shipments
from invrl.policies.echelon_stock import EchelonStockPolicy
from invrl.policies.network_mlp import NetworkMLPConfig, NetworkMLPPolicy
from invrl.rollout import InfeasibleActionError, rollout
from invrl.systems.network import Network, NetworkState
from invrl.systems.topologies import build_network, longest_path_lead_time, store_demand_law

STORES = {"lead_time": [2, 3], "holding_cost": [0.7, 1.3], "shortage_cost": [6, 10], "demand_mean": [2.5, 7.5], "demand_cv": [0.16, 0.32]}
ONE_WAREHOUSE = {
    "system": "one_warehouse", "n_stores": 5, "warehouse_lead_time": 4, "warehouse_holding_cost": 0.3,
    "stores": STORES, "demand": {"distribution": "normal", "correlation": 0.5}, "lost_sales": True,
}
SETTINGS = {
    "serial": {
        "system": "serial", "n_locations": 4, "lead_time": 2, "upstream_lead_time": [1, 2, 3],
        "holding_cost": [1, 0.75, 0.5, 0.25], "shortage_cost": 9, "lost_sales": False,
        "demand": {"distribution": "normal", "mean": 5.0, "std": 1.5},
    },
    "one_warehouse": ONE_WAREHOUSE,
    "transshipment": {**ONE_WAREHOUSE, "system": "transshipment", "lost_sales": False},
    "multi_warehouse": {
        **ONE_WAREHOUSE, "system": "multi_warehouse", "n_warehouses": 3, "connections": 2,
        "warehouse_lead_time": [2, 5], "warehouse_holding_cost": [0.2, 0.4], "shipping_cost": [0.1, 0.5],
    },
}


def instance(name: str, samples: int, periods: int, seed: int = 0, setting: dict | None = None):
    setting = SETTINGS[name] if setting is None else setting
    law = store_demand_law(setting)
    return build_network(setting), sample_demand(law.pop("distribution"), samples, periods, seed, **law)


class Greedy(nn.Module):
    """Stores ask for three periods of flow, suppliers send 0.6: warehouses run dry, the allocation binds."""

    def forward(self, obs):
        system = obs.system
        request = system.edge_rate * torch.where(system.source < 0, 0.6, 3.0)
        return feasible_shipments(request.expand_as(obs.state.pipeline[..., 0]), system, obs.state)


def vanilla(system: Network, seed: int = 0) -> NetworkMLPPolicy:
    torch.manual_seed(seed)
    return NetworkMLPPolicy(system, NetworkMLPConfig(hidden=(32, 32)))


def flows(system: Network, traj):
    """Stock at the start and end of every period, shipments out of every node ``[B, nodes, T]``."""
    r = traj.record
    start = r["on_hand"].detach()
    end = torch.cat([start[..., 1:], traj.final_state.on_hand.detach()[..., None]], dim=-1)
    shipped = torch.einsum("bet,en->bnt", r["action"].detach(), system.out_of)
    return start, end, shipped, r["arrivals"].detach()


POLICIES = {"vanilla": vanilla, "greedy": lambda system: Greedy()}


# 1. conservation -------------------------------------------------------------------------------


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("name", SETTINGS)
def test_units_are_conserved_at_every_node_and_system_wide(name, policy):
    system, demand = instance(name, 64, 30)
    with torch.no_grad():
        traj = rollout(system, POLICIES[policy](system), demand, record=True)
    r, d = traj.record, demand.demand
    n, stores = system.n_stores, slice(0, system.n_stores)
    start, end, shipped, arrivals = flows(system, traj)
    torch.testing.assert_close(start[..., 0], system.initial_state(64).on_hand)
    through = start + arrivals - shipped  # every node, before demand
    if system.lost_sales:
        torch.testing.assert_close(end[:, stores], through[:, stores] - r["sales"], atol=1e-3, rtol=0)
        torch.testing.assert_close(r["sales"] + r["unmet"], d, atol=1e-3, rtol=0)
        assert float(r["sales"].min()) >= 0 and float(r["unmet"].min()) >= 0
        assert float(end[:, stores].min()) >= -1e-4  # lost sales: never negative stock
    else:
        torch.testing.assert_close(end[:, stores], through[:, stores] - d, atol=1e-3, rtol=0)
        torch.testing.assert_close(r["unmet"], (-end[:, stores]).clamp_min(0), atol=1e-3, rtol=0)
        torch.testing.assert_close(r["sales"], torch.minimum(through[:, stores].clamp_min(0), d), atol=1e-3, rtol=0)
    torch.testing.assert_close(end[:, n:], through[:, n:], atol=1e-3, rtol=0)  # warehouses face no demand
    # every edge: in transit at the start + shipped = arrived + in transit at the end
    first = system.initial_state(64)
    final = traj.final_state
    sent = first.pipeline.sum(-1) + r["action"].detach().sum(-1) - final.pipeline.sum(-1)
    torch.testing.assert_close(arrivals.sum(-1), sent @ system.into, atol=1e-3, rtol=0)
    # the whole system: stock + pipeline + supplier orders = final stock + final pipeline + units out to customers
    supplier = system.source < 0
    before = first.on_hand.sum(1) + first.pipeline.sum((1, 2)) + r["action"].detach()[:, supplier].sum((1, 2))
    out = r["sales"].sum((1, 2)) if system.lost_sales else d.sum((1, 2))  # backlog: on hand is net of backorders
    after = final.on_hand.sum(1) + final.pipeline.sum((1, 2)) + out
    torch.testing.assert_close(after, before, atol=1e-3, rtol=0)
    # costs: holding on end stock, shortage on lost or backordered units, shipping charged to the receiver
    cost = (
        system.holding_cost[..., None] * end.clamp_min(0)
        + torch.nn.functional.pad(system.shortage_cost[:, :n, None] * r["unmet"], (0, 0, 0, system.n_warehouses))
        + torch.einsum("bet,en->bnt", r["action"].detach() * system.shipping_cost[..., None], system.into)
    )
    torch.testing.assert_close(traj.cost.detach(), cost, atol=1e-3, rtol=1e-5)


# 2. feasibility ---------------------------------------------------------------------------------


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("name", SETTINGS)
def test_no_node_ships_more_than_it_has(name, policy):
    system, demand = instance(name, 64, 30, seed=1)
    with torch.no_grad():
        traj = rollout(system, POLICIES[policy](system), demand, record=True)
    start, end, shipped, arrivals = flows(system, traj)
    available = start + arrivals
    assert float(traj.record["action"].min()) >= 0
    assert float((shipped - available.clamp_min(0)).max()) <= 1e-4
    warehouses = slice(system.n_stores, None)
    if policy == "greedy":  # the constraint binds: some warehouse ships all it has, and has something
        binding = (shipped[:, warehouses] >= available[:, warehouses] - 1e-4) & (available[:, warehouses] > 1.0)
        assert int(binding.sum()) > 0
    if name == "transshipment":  # the centre ends every period empty
        assert float(end[:, warehouses].abs().max()) <= 1e-4
        assert float(available[:, warehouses].max()) > 1.0  # ... though it receives stock


# 3. infeasible actions raise ---------------------------------------------------------------------


class Scripted(nn.Module):
    def __init__(self, action):
        super().__init__()
        self.action = action  # (period, state) -> [B, E]

    def forward(self, obs):
        return self.action(obs.period, obs.state)


@pytest.mark.parametrize("name", SETTINGS)
def test_over_shipping_and_negative_orders_raise(name):
    system, demand = instance(name, 8, 6)
    internal = (system.source >= 0).float()
    million = Scripted(lambda t, s: torch.full(s.pipeline.shape[:2], 1e6))
    with pytest.raises(InfeasibleActionError, match="feasibility"):
        rollout(system, million, demand)
    negative = Scripted(lambda t, s: -(1 - internal).expand(s.pipeline.shape[:2]))  # supplier orders of -1
    with pytest.raises(InfeasibleActionError, match="feasibility"):
        rollout(system, negative, demand)
    one_extra = Scripted(  # ship one unit more than a node has, once
        lambda t, s: feasible_shipments(torch.full(s.pipeline.shape[:2], 1e6), system, s)
        + (internal * (t == 3)).expand(s.pipeline.shape[:2]) * 1.0
    )
    with pytest.raises(InfeasibleActionError, match="feasibility"):
        rollout(system, one_extra, demand)
    # the same without the extra unit is feasible
    rollout(system, Scripted(lambda t, s: feasible_shipments(torch.full(s.pipeline.shape[:2], 1e6), system, s)), demand)


def test_proportional_allocation_of_a_large_stock_over_many_stores_counts_as_feasible():
    """float32 shares of a few thousand units over 50 stores sum to slightly more than the stock
    (by more than 1e-4 units); that round-off is not a violation, one extra unit still is."""
    system = build_network({**ONE_WAREHOUSE, "n_stores": 50})
    generator = torch.Generator().manual_seed(0)
    state = system.initial_state(4096)
    state.on_hand[:, system.n_stores] = 500 + 4000 * torch.rand(4096, generator=generator)
    request = 200 * torch.rand(4096, system.n_edges, generator=generator)
    shipped = feasible_shipments(request, system, state)
    demand = torch.zeros(4096, system.n_stores)
    over = shipped.sum(1) - system.available(state)[:, system.n_stores]
    assert float(over.max()) > 1e-4  # the round-off is real at this size
    assert float(system.step(state, shipped, demand)[2]["violation"]) == 0.0
    first_shipment = int((system.source == system.n_stores).nonzero()[0])
    extra = shipped + (torch.arange(system.n_edges) == first_shipment).float()
    assert float(system.step(state, extra, demand)[2]["violation"]) > 0.5


def test_transshipment_centre_that_keeps_stock_raises():
    system, demand = instance("transshipment", 8, 6)
    hoard = Scripted(lambda t, s: torch.where(system.source < 0, system.edge_rate, 0.0).expand(s.pipeline.shape[:2]))
    with pytest.raises(InfeasibleActionError, match="feasibility"):
        rollout(system, hoard, demand)


# 4. lead times ---------------------------------------------------------------------------------


def two_node_line(store_lead: int, warehouse_lead: int) -> Network:
    """Store 0 <- (edge 0) warehouse 1 <- (edge 1) supplier."""
    return Network(
        n_stores=1, n_warehouses=1, source=[1, -1], destination=[0, 1], lead_time=[store_lead, warehouse_lead],
        holding_cost=[1.0, 0.5], shortage_cost=[4.0, 0.0], demand_mean=1.0, lost_sales=True, initial_on_hand=0.0,
    )


@pytest.mark.parametrize("store_lead", [1, 2, 4])
@pytest.mark.parametrize("warehouse_lead", [1, 3])
def test_a_unit_arrives_exactly_after_each_lead_time(store_lead, warehouse_lead):
    system = two_node_line(store_lead, warehouse_lead)
    assert longest_path_lead_time(system) == store_lead + warehouse_lead
    empty = NetworkState(on_hand=torch.zeros(1, 2), pipeline=torch.zeros(1, 2, system.max_lead_time))
    periods, ordered = 12, 1
    at_warehouse = ordered + warehouse_lead

    def action(t, s):  # order one unit at t=1; the warehouse sends it on the period it arrives
        return torch.tensor([[1.0 if t == at_warehouse else 0.0, 1.0 if t == ordered else 0.0]])

    traj = rollout(system, Scripted(action), DemandData(torch.zeros(1, 1, periods)), state=empty, record=True)
    arrivals = traj.record["arrivals"][0]
    expected = torch.zeros(2, periods)
    expected[1, at_warehouse] = 1.0
    expected[0, at_warehouse + store_lead] = 1.0
    assert torch.equal(arrivals, expected)
    on_hand = traj.record["on_hand"][0]  # at the start of each period
    assert on_hand[1].abs().max() == 0  # the unit passes through the warehouse within one period
    assert on_hand[0].tolist() == [0.0] * (at_warehouse + store_lead + 1) + [1.0] * (periods - at_warehouse - store_lead - 1)
    # holding is charged on the unit at the store from the end of its arrival period, never in transit
    assert traj.cost[0, 0].tolist() == [0.0] * (at_warehouse + store_lead) + [1.0] * (periods - at_warehouse - store_lead)
    assert traj.cost[0, 1].abs().max() == 0

    def early(t, s):  # the warehouse tries to send the unit one period before it arrives
        return torch.tensor([[1.0 if t == at_warehouse - 1 else 0.0, 1.0 if t == ordered else 0.0]])

    with pytest.raises(InfeasibleActionError):
        rollout(system, Scripted(early), DemandData(torch.zeros(1, 1, periods)), state=empty)


def test_initial_pipeline_holds_one_period_of_mean_flow_per_slot():
    system, _ = instance("multi_warehouse", 1, 1)
    state = system.initial_state(3)
    lead = system.lead_time[0]
    for e in range(system.n_edges):
        slots = state.pipeline[0, e]
        assert torch.allclose(slots[: lead[e]], system.edge_rate[0, e].expand(int(lead[e])))
        assert float(slots[lead[e]:].abs().sum()) == 0
    # rates: a store's mean split over its inbound edges, a warehouse's rate what its edges carry
    store_mean = system.demand_mean[0]
    torch.testing.assert_close((system.edge_rate[0] @ system.into)[: system.n_stores], store_mean)
    torch.testing.assert_close(system.edge_rate[0, system.source < 0].sum(), store_mean.sum())
    torch.testing.assert_close((system.edge_rate[0] @ system.out_of)[system.n_stores:], system.node_rate[0, system.n_stores:])


# 5. pathwise gradients ---------------------------------------------------------------------------


def as_double(system: Network) -> Network:
    new = object.__new__(Network)
    new.__dict__.update(system.__dict__)
    for name, value in system.__dict__.items():
        if isinstance(value, torch.Tensor) and value.is_floating_point():
            setattr(new, name, value.double())
    new.pipe = copy.copy(system.pipe)
    new.pipe.slot = system.pipe.slot.double()
    return new


class SmoothInstallationStock(nn.Module):
    """Request softplus(theta_e - inventory position of the edge's destination), made feasible."""

    def __init__(self, theta: torch.Tensor):
        super().__init__()
        self.theta = nn.Parameter(theta)

    def forward(self, obs):
        position = obs.system.inventory_position(obs.state)[:, obs.system.destination]
        return feasible_shipments(nn.functional.softplus(self.theta - position), obs.system, obs.state)


@pytest.mark.parametrize("name", ["one_warehouse", "serial"])
def test_pathwise_gradient_matches_finite_differences(name):
    system, demand = instance(name, 8, 10, seed=4)
    system, demand = as_double(system), DemandData(demand.demand.double())
    lead, rate = system.lead_time[0].double(), system.edge_rate[0].double()
    theta = (lead + 1.6) * rate  # near one installation base-stock per edge ...
    theta = torch.where(system.source < 0, theta * 0.85, theta)  # ... with suppliers a little short
    policy = SmoothInstallationStock(theta.clone())  # a Parameter shares its tensor's storage

    def total(values):
        policy.theta.copy_(values)
        return rollout(system, policy, demand).cost.sum()

    traj = rollout(system, policy, demand, record=True)
    assert traj.cost.dtype == torch.float64
    # the allocation binds somewhere, so the gradient also flows through the proportional scaling
    start, _, shipped, arrivals = flows(system, traj)
    warehouses = slice(system.n_stores, None)
    assert int((shipped[:, warehouses] >= (start + arrivals)[:, warehouses] - 1e-9).sum()) > 0
    (grad,) = torch.autograd.grad(traj.cost.sum(), policy.theta)
    assert int((grad.abs() > 1e-3).sum()) == system.n_edges  # every parameter matters
    eps = 1e-6
    for e in range(system.n_edges):
        step = torch.zeros_like(theta)
        step[e] = eps
        with torch.no_grad():
            fd = float(total(theta + step) - total(theta - step)) / (2 * eps)
        assert abs(float(grad[e]) - fd) <= 1e-5 * max(1.0, abs(fd)), (e, float(grad[e]), fd)


# 6. whole units ----------------------------------------------------------------------------------


POISSON = {**ONE_WAREHOUSE, "stores": {**STORES, "demand_mean": 4.0}, "demand": {"distribution": "poisson"}}


@pytest.mark.parametrize("system_name", ["one_warehouse", "transshipment", "multi_warehouse"])
def test_rounded_actions_stay_feasible_and_integral(system_name):
    setting = {**POISSON, "system": system_name}
    if system_name == "transshipment":
        setting["lost_sales"] = False
    if system_name == "multi_warehouse":
        setting.update(n_warehouses=2, connections=2, warehouse_lead_time=[2, 4])
    system, demand = instance(system_name, 128, 40, seed=2, setting=setting)
    assert torch.equal(system.initial_on_hand, system.initial_on_hand.round())
    for seed in range(3):
        with torch.no_grad():
            traj = rollout(system, vanilla(system, seed), demand, round_actions=True, record=True)  # never raises
        action, on_hand = traj.record["action"], traj.record["on_hand"]
        assert torch.equal(action, action.round()) and float(action.min()) >= 0
        assert torch.equal(on_hand, on_hand.round())
        assert float(action.sum()) > 0


def test_rounding_a_transshipment_centre_ships_all_its_units():
    system = build_network({**POISSON, "system": "transshipment", "n_stores": 3})
    # the centre (node 3) has 10 units: proportional shares 10/3 each floor to 9 in all
    action = torch.tensor([[4.2, 10 / 3, 10 / 3, 10 / 3], [2.7, 1.6, 5.15, 3.25], [0.0, 0.0, 0.0, 0.0]])
    rounded = system.round_action(action)
    assert rounded[:, 0].tolist() == [4.0, 3.0, 0.0]  # supplier orders round to the nearest unit
    assert rounded[:, 1:].sum(1).tolist() == [10.0, 10.0, 0.0]  # the centre still ships every unit
    assert rounded[1, 1:].tolist() == [2.0, 5.0, 3.0]  # the spare unit goes to the largest remainder
    assert bool(((rounded[:, 1:] - action[:, 1:]).abs() < 1).all())
    # a warehouse that holds stock rounds its shipments down
    warehouse = build_network({**POISSON, "n_stores": 3})
    assert warehouse.round_action(action)[1, 1:].tolist() == [1.0, 5.0, 3.0]


# 7. echelon base-stock on a serial line against Clark-Scarf -------------------------------------


@pytest.mark.parametrize(
    "lead_times, holding",
    [([2, 3], [1.0, 0.5]), ([2, 1, 2, 3], [1.0, 0.75, 0.5, 0.25])],
    ids=["K2", "K4"],
)
def test_echelon_stock_matches_clark_scarf(lead_times, holding):
    mean, p, warmup = 5.0, 9.0, 100
    k = len(lead_times)
    setting = {
        "system": "serial", "n_locations": k, "lead_time": lead_times[0], "upstream_lead_time": lead_times[1:],
        "holding_cost": holding, "shortage_cost": p, "lost_sales": False, "demand": {"distribution": "poisson", "mean": mean},
    }
    system, demand = instance("serial", 4096, warmup + 600, seed=7, setting=setting)
    optimum = clark_scarf_poisson(mean, lead_times, holding, p)

    def simulate(levels):
        with torch.no_grad():
            traj = rollout(system, EchelonStockPolicy(list(levels)), demand, round_actions=True)
        return traj.cost_per_sample(warmup).double()

    best = simulate(optimum.echelon_levels)
    se = float(best.std() / len(best) ** 0.5)
    assert abs(float(best.mean()) - optimum.cost) < 3 * se, (float(best.mean()), optimum.cost, se)
    pmf = poisson_pmf(mean)
    for j in range(k):
        for delta in (-2, 2):
            levels = list(optimum.echelon_levels)
            levels[j] += delta
            cost = simulate(levels)
            diff = cost - best  # common random numbers: paired differences
            diff_se = float(diff.std() / len(diff) ** 0.5)
            assert float(diff.mean()) > -3 * diff_se, (levels, float(diff.mean()), diff_se)
            exact = serial_base_stock_cost(levels, lead_times, holding, p, pmf / pmf.sum())
            assert abs(float(cost.mean()) - exact) < 3 * float(cost.std() / len(cost) ** 0.5), (levels, float(cost.mean()), exact)


# 8. longest paths and invalid networks -----------------------------------------------------------


def test_longest_path_lead_time():
    lengths = {name: longest_path_lead_time(build_network(s)) for name, s in SETTINGS.items()}
    assert lengths["serial"] == 2 + 1 + 2 + 3
    assert lengths["one_warehouse"] == lengths["transshipment"] == 4 + 3
    multi = build_network(SETTINGS["multi_warehouse"])
    lead = multi.lead_time[0].tolist()
    by_warehouse = dict(zip(multi.destination[:3].tolist(), lead[:3]))
    assert lengths["multi_warehouse"] == max(by_warehouse[int(s)] + lead[e] for e, s in enumerate(multi.source.tolist()) if s >= 0)
    # the longest path is not the sum of the largest lead times: W2 (5) -> store 0 (1), W3 (1) -> store 1 (4)
    cross = Network(
        n_stores=2, n_warehouses=2, source=[-1, -1, 2, 3], destination=[2, 3, 0, 1], lead_time=[5, 1, 1, 4],
        holding_cost=1.0, shortage_cost=[4, 4, 0, 0], demand_mean=1.0, lost_sales=True,
    )
    assert longest_path_lead_time(cross) == 6


def network(**overrides) -> Network:
    kwargs = dict(
        n_stores=2, n_warehouses=1, source=[-1, 2, 2], destination=[2, 0, 1], lead_time=[2, 1, 1],
        holding_cost=1.0, shortage_cost=4.0, demand_mean=3.0, lost_sales=True,
    )
    return Network(**{**kwargs, **overrides})


@pytest.mark.parametrize(
    "overrides, match",
    [
        ({"lead_time": [2, 0, 1]}, "lead times >= 1"),
        ({"lead_time": [[2, 1, 1], [2, 1, 0]]}, "lead times >= 1"),
        ({"source": [-1, 2, 0], "destination": [2, 0, 1]}, "stores .* cannot ship"),
        ({"destination": [2, 0, 3]}, "destinations must be nodes 0..2"),
        ({"destination": [2, 0, -1]}, "destinations must be nodes 0..2"),
        ({"source": [-1, 2, 5]}, "sources must be -1"),
        ({"source": [-2, 2, 2]}, "sources must be -1"),
        ({"source": [-1, 2], "destination": [2, 0, 1]}, "equal length"),
        ({"source": [-1, 2, 2], "destination": [2, 2, 1]}, "to itself"),
        (
            {"n_warehouses": 2, "source": [-1, 2, 3, 2], "destination": [2, 3, 2, 0], "lead_time": 1},
            "cycle",
        ),
    ],
)
def test_invalid_networks_raise(overrides, match):
    with pytest.raises(ValueError, match=match):
        network(**overrides)


def test_valid_network_builds():
    system = network()
    assert (system.n_nodes, system.n_edges, system.max_lead_time) == (3, 3, 2)
    assert longest_path_lead_time(system) == 3
