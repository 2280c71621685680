"""Paper tables from a cube: gaps to the optimum, same-path gaps, excess over the best, data efficiency."""

import numpy as np
import pytest
import xarray as xr

from invrl.report.tables import data_efficiency_table, policy_table, summary_row


def cube(cost, optimum=None, policies=("hdpo_vanilla", "echelon_stock")):
    """``cost[instance][policy][seed]``; gap computed as the pipeline does (percent over the optimum)."""
    cost = np.asarray(cost, dtype=float)
    coords = {"instance": ["a", "b"][: cost.shape[0]], "policy": list(policies), "seed": list(range(cost.shape[2]))}
    data = {"cost": (("instance", "policy", "seed"), cost)}
    opt = np.full(cost.shape[0], np.nan) if optimum is None else np.asarray(optimum, dtype=float)
    data["optimal_cost"] = (("instance",), opt)
    data["gap"] = (("instance", "policy", "seed"), 100 * (cost / opt[:, None, None] - 1))
    return xr.Dataset(data, coords=coords)


def test_gap_and_same_path_gap_against_the_exact_policy():
    # the exact policy lands 0.2% below the optimum's value on these paths; HDPO 0.3% above it
    table = policy_table(cube([[[10.03, 10.03], [9.98, 9.98]]], optimum=[10.0]))
    row = table.loc["a"]
    assert row["hdpo_vanilla gap %"] == pytest.approx(0.3)
    assert row["echelon_stock gap %"] == pytest.approx(-0.2)
    assert row["hdpo_vanilla same-path gap %"] == pytest.approx(100 * (10.03 / 9.98 - 1))
    assert "echelon_stock same-path gap %" not in table
    assert summary_row(table).loc["max", "hdpo_vanilla same-path gap %"] == pytest.approx(100 * (10.03 / 9.98 - 1))


def test_without_an_optimum_each_policy_gets_its_excess_over_the_best():
    table = policy_table(cube([[[4.0, 4.2], [4.4, 4.4]], [[3.0, 3.0], [2.97, 2.97]]], policies=("gnn", "vanilla")))
    assert table.loc["a", "gnn excess %"] == pytest.approx(0.0)
    assert table.loc["a", "vanilla excess %"] == pytest.approx(100 * (4.4 / 4.1 - 1))
    assert table.loc["b", "gnn excess %"] == pytest.approx(100 * (3.0 / 2.97 - 1))
    assert not any("same-path" in c for c in table.columns)


def test_data_efficiency_table_averages_seeds_per_train_size():
    cost = np.array([[[[5.0, 5.2, 5.4], [4.0, 4.0, 4.0]], [[4.1, 4.1, 4.1], [4.0, 4.1, 4.2]]]])  # instance, policy, size, seed
    c = xr.Dataset(
        {"cost": (("instance", "policy", "train_size", "seed"), cost)},
        coords={"instance": ["N5"], "policy": ["vanilla", "gnn"], "train_size": [128, 8192], "seed": [0, 1, 2]},
    )
    table = data_efficiency_table(c)
    assert table.loc[("N5", 128), "vanilla cost"] == pytest.approx(5.2)
    assert table.loc[("N5", 128), "vanilla sd"] == pytest.approx(0.2)  # sample sd over seeds, as the figure's bars (ddof 0 would give 0.163)
    assert table.loc[("N5", 8192), "gnn excess %"] == pytest.approx(100 * (4.1 / 4.0 - 1))
    assert table.loc[("N5", 8192), "vanilla excess %"] == pytest.approx(0.0)


def test_data_efficiency_rows_follow_the_grid_not_the_names():
    cost = np.ones((2, 1, 1, 2))
    c = xr.Dataset(
        {"cost": (("instance", "policy", "train_size", "seed"), cost)},
        coords={"instance": ["N10", "N5"], "policy": ["gnn"], "train_size": [128], "seed": [0, 1],
                "n_stores": ("instance", [10, 5])},
    )
    assert [i for i, _ in data_efficiency_table(c).index] == ["N5", "N10"]
