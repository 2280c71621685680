"""The real Snakefile: lint, dry runs, a full tiny run, and rerun triggers."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import xarray as xr

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = [sys.executable, "-m", "snakemake"]
TINY = """
scale: smoke
experiments:
  lost_sales:
    grid: {lead_time: [1], shortage_cost: [4, 9]}
  backlog:
    grid: {lead_time: [2], shortage_cost: [9]}
  serial:
    at_scale: {smoke: {grid: {lead_time: [1], shortage_cost: [4]}}}
  serial_length:
    at_scale: {smoke: {grid: {n_locations: [3], lead_time: [1], shortage_cost: [4]}}}
  one_warehouse:
    at_scale: {smoke: {grid: {n_stores: [3]}}}
  transshipment:
    at_scale: {smoke: {grid: {n_stores: [3], demand.correlation: [0.5]}}}
  multi_warehouse:
    at_scale: {smoke: {grid: {n_warehouses: [2], n_stores: [4]}}}
  data_efficiency:
    at_scale: {smoke: {grid: {n_stores: [3]}, train_sizes: [32, 64], seeds: [0, 1]}}
  data_efficiency_transshipment:
    policies: [hdpo_gnn]
    at_scale: {smoke: {grid: {n_stores: [3], demand.correlation: [0.5]}, train_sizes: [32, 64], seeds: [0]}}
"""


def snakemake(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*SNAKEMAKE, *args], cwd=workdir, capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    work = tmp_path_factory.mktemp("dag")
    for name in ("Snakefile", "config", "workflow", "profiles", "src", "envs"):
        source = REPO / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, work / name)
    (work / "tiny.yaml").write_text(TINY)
    result = snakemake(work, "tables", "figures", "--cores", "2", "--configfile", "tiny.yaml")
    assert result.returncode == 0, result.stderr[-3000:]
    return work


def test_lint_is_clean():
    result = snakemake(REPO, "--lint")
    assert result.returncode == 0 and "Congratulations" in result.stdout + result.stderr


def test_default_dag_dry_run_plans_every_run():
    result = snakemake(REPO, "-n", "--quiet", "rules")
    assert result.returncode == 0, result.stderr[-2000:]
    out = result.stdout + result.stderr
    # issue 2: 16 lost-sales and 24 backlog cells, one HDPO run and one heuristics job each;
    # issue 3: serial 16 + 5 cells x 2 learned policies (+ echelon stock), one_warehouse 6, transshipment 6
    # and multi_warehouse 2 cases x 3 architectures; data efficiency 4 cells x 3 architectures x 3 sizes x 3 seeds
    assert re.search(r"train_policy\s+124\b", out) and re.search(r"fit_heuristics\s+61\b", out)
    assert re.search(r"train_policy_on_subset\s+108\b", out)


@pytest.mark.parametrize("override,named", [("scale=huge", "scale"), ("threads=0", "threads")])
def test_bad_config_value_stops_before_any_rule(override, named):
    result = snakemake(REPO, "-n", "--config", override)
    assert result.returncode != 0
    assert named in result.stderr + result.stdout


def test_tiny_dag_produces_tables_with_exact_optima(tiny_run):
    cube = xr.open_dataset(tiny_run / "results/cubes/lost_sales.nc")
    assert cube.sizes["instance"] == 2 and set(cube.policy.values) >= {"hdpo_mlp", "base_stock", "myopic"}
    assert float(cube["optimal_cost"].sel(instance="L1-p4")) == pytest.approx(4.0407, abs=1e-4)
    assert (cube["gap"].sel(policy="capped_base_stock") > -2).all()  # no policy beats the optimum beyond noise
    table = (tiny_run / "results/tables/lost_sales.md").read_text()
    assert "L1-p9" in table and "hdpo_mlp gap %" in table
    for figure in ("lost_sales_gap_heatmap", "lost_sales_learning_curves", "backlog_gap_lines"):
        assert (tiny_run / f"results/figures/{figure}.png").stat().st_size > 10_000


def test_complete_run_reruns_nothing_and_an_edited_setting_reruns_only_its_runs(tiny_run):
    again = snakemake(tiny_run, "tables", "figures", "-n", "--configfile", "tiny.yaml")
    assert "Nothing to be done" in again.stdout + again.stderr
    setting = tiny_run / "config/settings/backlog.yaml"  # an edit (Snakemake 9 compares checksums, not bare mtimes)
    setting.write_text(setting.read_text() + "# edited\n")
    plan = snakemake(tiny_run, "tables", "figures", "-n", "--configfile", "tiny.yaml")
    out = plan.stdout + plan.stderr
    assert "results/runs/backlog/L2-p9/hdpo_mlp/seed0.nc" in out
    assert "results/runs/lost_sales" not in out


def test_tiny_dag_network_cubes_carry_optima_bounds_and_train_sizes(tiny_run):
    serial = xr.open_dataset(tiny_run / "results/cubes/serial.nc")
    # Clark-Scarf: Poisson(5), L = (1, 2, 2, 2), h = (1, .75, .5, .25), p = 4 costs 8.2901 per period
    assert float(serial["optimal_cost"].sel(instance="L1-p4")) == pytest.approx(8.2901, abs=1e-3)
    assert set(serial.policy.values) == {"hdpo_vanilla", "hdpo_gnn", "echelon_stock"}
    echelon = serial.sel(instance="L1-p4", policy="echelon_stock").squeeze()
    assert abs(float(echelon["cost"]) / 8.2901 - 1) < 0.05  # short smoke horizons: start-up transient only
    bound = xr.open_dataset(tiny_run / "results/cubes/transshipment.nc")
    assert (bound["lower_bound"] > 0).all() and (bound["gap_to_bound"] > -2).all()  # nothing beats a lower bound
    efficiency = xr.open_dataset(tiny_run / "results/cubes/data_efficiency.nc")
    assert sorted(efficiency.train_size.values.tolist()) == [32, 64] and efficiency.sizes["seed"] == 2
    assert "train scenarios" in (tiny_run / "results/tables/data_efficiency.md").read_text()
    for figure in ("serial_gap_heatmap", "one_warehouse_excess_lines", "transshipment_bound_gap_lines",
                   "data_efficiency_data_efficiency", "multi_warehouse_excess_lines"):
        assert (tiny_run / f"results/figures/{figure}.png").stat().st_size > 10_000
