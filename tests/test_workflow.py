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
plugins: [tests/plugins/toy_family.py]
policies:
  toy: {method: hdpo, architecture: toy_linear, hdpo: {learning_rate: 0.1}}
experiments:
  toy:
    setting: tests/plugins/capped_single_location.yaml
    grid: {order_cap: [6.0]}
    instance_name: "cap{order_cap}"
    policies: [toy, base_stock]
  real_data_online_retail:  # the fixtures' warm-up is one week: lead time 0 keeps the level meaningful
    policies: [base_stock_per_series]
    grid: {lead_time: [0]}
  real_data_dominicks:
    policies: [base_stock_per_series]
    grid: {lead_time: [0]}
  lost_sales:
    at_scale: {smoke: {grid: {lead_time: [1], shortage_cost: [4, 9]}}}
  backlog:
    at_scale: {smoke: {grid: {lead_time: [2], shortage_cost: [9]}}}
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

FIXTURES = REPO / "tests" / "fixtures"
REAL_FIXTURES = f"""
real_data:
  build: [online_retail, dominicks]
  sources:
    online_retail: {{path: {FIXTURES / "online_retail_tiny.csv.xz"}, sha256: null}}
    dominicks: {{path: {FIXTURES / "orange_juice_tiny.rda"}, sha256: null}}
  datasets:
    online_retail:
      history: 2
      filters: {{min_selling_weeks: 2}}
      windows: {{warmup: 1, train: [1, 2], dev: [2, 3], test: [3, null]}}
    dominicks:
      history: 2
      filters: {{max_missing_share: 0.3, impute: ffill, unit_divisor: 1}}
      windows: {{warmup: 1, train: [1, 3], dev: [3, 4], test: [4, null]}}
"""


def snakemake(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*SNAKEMAKE, *args], cwd=workdir, capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    work = tmp_path_factory.mktemp("dag")
    for name in ("Snakefile", "config", "workflow", "profiles", "src", "envs", "tests/plugins"):
        source = REPO / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, work / name)
    (work / "tiny.yaml").write_text(TINY)
    (work / "real.yaml").write_text(REAL_FIXTURES)
    result = snakemake(work, "--cores", "2", "--configfile", "tiny.yaml", "real.yaml")
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
    # and the two real-data experiments, one heuristics job each; issue 15: 4 zero-lead-time cells and the
    # 9 dual-sourcing instances, two HDPO runs (vanilla, SIPN) and one heuristics job each
    assert re.search(r"train_policy\s+146\b", out) and re.search(r"fit_heuristics\s+76\b", out)
    assert re.search(r"train_policy_on_subset\s+108\b", out)


@pytest.mark.parametrize("override,named", [("scale=huge", "scale"), ("threads=0", "threads")])
def test_bad_config_value_stops_before_any_rule(override, named):
    result = snakemake(REPO, "-n", "--config", override)
    assert result.returncode != 0
    assert named in result.stderr + result.stdout


def test_tiny_dag_produces_tables_with_exact_optima(tiny_run):
    cube = xr.open_dataset(tiny_run / "results/smoke/cubes/lost_sales.nc")
    assert cube.sizes["instance"] == 2 and set(cube.policy.values) >= {"hdpo_mlp", "base_stock", "myopic"}
    assert float(cube["optimal_cost"].sel(instance="L1-p4")) == pytest.approx(4.0407, abs=1e-4)
    assert (cube["gap"].sel(policy="capped_base_stock") > -2).all()  # no policy beats the optimum beyond noise
    table = (tiny_run / "results/smoke/tables/lost_sales.md").read_text()
    assert "L1-p9" in table and "hdpo_mlp gap %" in table
    for figure in ("lost_sales_gap_heatmap", "lost_sales_learning_curves", "backlog_gap_lines"):
        assert (tiny_run / f"results/smoke/figures/{figure}.png").stat().st_size > 10_000


def test_complete_run_reruns_nothing_and_an_edited_setting_reruns_only_its_runs(tiny_run):
    again = snakemake(tiny_run, "-n", "--configfile", "tiny.yaml", "real.yaml")
    assert "Nothing to be done" in again.stdout + again.stderr
    setting = tiny_run / "config/settings/backlog.yaml"  # an edit (Snakemake 9 compares checksums, not bare mtimes)
    original = setting.read_text()
    setting.write_text(original + "# edited\n")
    try:
        plan = snakemake(tiny_run, "-n", "--configfile", "tiny.yaml", "real.yaml")
    finally:
        setting.write_text(original)  # the other tests share this run
    out = plan.stdout + plan.stderr
    assert "results/smoke/runs/backlog/L2-p9/hdpo_mlp/seed0.nc" in out
    assert "results/smoke/runs/lost_sales" not in out


def test_tiny_dag_network_cubes_carry_optima_bounds_and_train_sizes(tiny_run):
    serial = xr.open_dataset(tiny_run / "results/smoke/cubes/serial.nc")
    # Clark-Scarf: Poisson(5), L = (1, 2, 2, 2), h = (1, .75, .5, .25), p = 4 costs 8.2901 per period
    assert float(serial["optimal_cost"].sel(instance="L1-p4")) == pytest.approx(8.2901, abs=1e-3)
    assert set(serial.policy.values) == {"hdpo_vanilla", "hdpo_gnn", "echelon_stock"}
    echelon = serial.sel(instance="L1-p4", policy="echelon_stock").squeeze()
    assert abs(float(echelon["cost"]) / 8.2901 - 1) < 0.05  # short smoke horizons: start-up transient only
    bound = xr.open_dataset(tiny_run / "results/smoke/cubes/transshipment.nc")
    assert (bound["lower_bound"] > 0).all() and (bound["gap_to_bound"] > -2).all()  # nothing beats a lower bound
    efficiency = xr.open_dataset(tiny_run / "results/smoke/cubes/data_efficiency.nc")
    assert sorted(efficiency.train_size.values.tolist()) == [32, 64] and efficiency.sizes["seed"] == 2
    assert "train scenarios" in (tiny_run / "results/smoke/tables/data_efficiency.md").read_text()
    for figure in ("serial_gap_heatmap", "one_warehouse_excess_lines", "transshipment_bound_gap_lines",
                   "data_efficiency_data_efficiency", "multi_warehouse_excess_lines"):
        assert (tiny_run / f"results/smoke/figures/{figure}.png").stat().st_size > 10_000


def test_real_data_and_a_plugin_family_run_through_the_ordinary_rules(tiny_run):
    toy = xr.open_dataset(tiny_run / "results/smoke/cubes/toy.nc")
    assert set(toy.policy.values) == {"toy", "base_stock"} and (toy["cost"] > 0).all()
    real = xr.open_dataset(tiny_run / "results/smoke/cubes/real_data_dominicks.nc")
    assert real.sizes["instance"] == 1 and float(real["cost"].squeeze()) > 0
    assert real["parameter_level_mean"].squeeze() > 0  # per-store levels, their mean kept in the cube
    assert (tiny_run / "results/smoke/tables/real_data_online_retail.md").exists()


def test_every_netcdf_records_its_scale_and_the_figures_say_it(tiny_run):
    cube = xr.open_dataset(tiny_run / "results/smoke/cubes/lost_sales.nc")
    assert cube.attrs["scale"] == "smoke" and cube["cost"].attrs["units"] == "cost per period per store"
    assert not (tiny_run / "results/default").exists()  # nothing of the smoke run lands where default results go
    plan = snakemake(tiny_run, "-n", "--configfile", "tiny.yaml", "real.yaml", "--config", "scale=default")
    assert "results/default/runs/lost_sales" in plan.stdout and "results/smoke/" not in plan.stdout


def test_regenerating_tables_and_figures_plans_no_training(tiny_run):
    (tiny_run / "results/smoke/tables/lost_sales.md").unlink()
    plan = snakemake(tiny_run, "-n", "tables", "figures", "--quiet", "rules", "--configfile", "tiny.yaml", "real.yaml")
    out = plan.stdout + plan.stderr
    assert re.search(r"write_table\s+1\b", out) and "train_policy" not in out and "fit_heuristics" not in out
    rebuilt = snakemake(tiny_run, "--cores", "1", "tables", "--configfile", "tiny.yaml", "real.yaml")
    assert rebuilt.returncode == 0 and (tiny_run / "results/smoke/tables/lost_sales.md").exists()  # the others share the run
    empty = snakemake(tiny_run, "-n", "tables", "--configfile", "tiny.yaml", "real.yaml", "--config", "scale=paper")
    planned = empty.stdout + empty.stderr  # no paper cubes: nothing to regenerate, nothing trained
    assert empty.returncode == 0 and not re.search(r"train_policy|fit_heuristics|write_table|assemble_cube", planned)


def test_the_readme_rerun_command_plans_one_job(tiny_run):
    plan = snakemake(tiny_run, "-n", "--quiet", "rules", "-f", "results/smoke/runs/lost_sales/L1-p4/hdpo_mlp/seed0.nc",
                     "--configfile", "tiny.yaml", "real.yaml")
    out = plan.stdout + plan.stderr
    assert re.search(r"train_policy\s+1\b", out) and re.search(r"total\s+1\b", out)
    assert "snakemake --cores 1 -f results/default/runs/" in (REPO / "README.md").read_text()


@pytest.mark.parametrize("edit,expected", [
    # a figure list edit redraws, it never retrains (was: 37 jobs with 16 trainings)
    ("experiments: {backlog: {figures: [gap_lines]}}", {"total": 0}),
    # the GNN's own budget in serial reruns the GNN runs only, not the MLP runs or the echelon fits
    ("experiments: {serial: {policy_options: {hdpo_gnn: {smoke: {max_steps: 12}}}}}",
     {"train_policy": 1, "fit_heuristics": 0, "assemble_cube": 1, "write_table": 1, "plot_figure": 1}),
])
def test_an_edit_reruns_exactly_the_jobs_it_touches(tiny_run, edit, expected):
    (tiny_run / "edit.yaml").write_text(edit)
    plan = snakemake(tiny_run, "-n", "--quiet", "rules", "--configfile", "tiny.yaml", "real.yaml", "edit.yaml")
    out = plan.stdout + plan.stderr
    counts = {rule: int(n) for rule, n in re.findall(r"^(\w+)\s+(\d+)$", out, flags=re.M)}
    counts.pop("all", None)
    if expected == {"total": 0}:
        assert "Nothing to be done" in out or counts.get("total", 0) == 0, out[-1500:]
    else:
        for rule, n in expected.items():
            assert counts.get(rule, 0) == n, (rule, counts)


@pytest.mark.parametrize("edit,named", [
    ("experiments: {lost_sales: {grid: {lead_time: [-1, 2]}}}", "lead_time"),
    ("scales: {smoke: {hdpo: {max_step: 20}}}", "scales.smoke.hdpo.max_step"),
    ("experiments: {lost_sales: {policies: [hdpo_mpl, base_stock]}}", "hdpo_mpl"),
    ("policies: {hdpo_gnn: {network: {hiden: 16}}}", "policies.hdpo_gnn.network.hiden"),
    ("scal: smoke", "scal"),
])
def test_config_errors_fail_the_dry_run_naming_the_key(tmp_path, edit, named):
    (tmp_path / "edit.yaml").write_text(edit)
    result = snakemake(REPO, "-n", "--configfile", str(tmp_path / "edit.yaml"))
    assert result.returncode != 0
    out = result.stdout + result.stderr
    assert named in out and "configuration error" in out
    assert len(out.splitlines()) < 20  # a few lines, not the whole config


def test_a_settings_file_typo_fails_the_dry_run_naming_the_key(tmp_path):
    work = tmp_path / "wf"
    work.mkdir()
    for name in ("Snakefile", "config", "workflow", "src"):
        (shutil.copytree if (REPO / name).is_dir() else shutil.copy)(REPO / name, work / name)
    setting = work / "config/settings/lost_sales.yaml"
    setting.write_text(setting.read_text().replace("round_actions:", "round_action:"))
    result = snakemake(work, "-n")
    assert result.returncode != 0
    assert "unexpected key 'round_action' (did you mean 'round_actions'?)" in result.stdout + result.stderr


def test_settings_resolve_in_the_workflow_being_run(tmp_path):
    """Two copies: each reads its own config/settings, whatever the installed package's copy says."""
    work = tmp_path / "second"
    shutil.copytree(REPO / "config", work / "config")
    setting = work / "config/settings/lost_sales.yaml"
    setting.write_text(setting.read_text().replace("mean: 5.0", "mean: 8.0"))
    here = subprocess.run([sys.executable, "-m", "invrl", "optimum", "lost_sales"], cwd=work, capture_output=True,
                          text=True, timeout=300)
    there = subprocess.run([sys.executable, "-m", "invrl", "optimum", "lost_sales"], cwd=REPO, capture_output=True,
                           text=True, timeout=300)
    assert '"mean": 8.0' in here.stdout and '"mean": 5.0' in there.stdout


def test_cli_and_dag_runs_of_one_configuration_share_a_config_hash(tiny_run):
    dag = xr.open_dataset(tiny_run / "results/smoke/runs/lost_sales/L1-p4/hdpo_mlp/seed0.nc")
    out = tiny_run / "cli.nc"
    result = subprocess.run([sys.executable, "-m", "invrl", "train", "lost_sales", "hdpo_mlp", "--scale", "smoke",
                             "--experiment", "lost_sales", "--set", "lead_time=1", "--set", "shortage_cost=4", "--out",
                             str(out)], cwd=tiny_run, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    cli = xr.open_dataset(out)
    assert cli.attrs["config_hash"] == dag.attrs["config_hash"]
    assert float(cli["cost"].squeeze()) == float(dag["cost"].squeeze())
