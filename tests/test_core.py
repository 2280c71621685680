"""The open core: registries, layering, defaults filled once, typed options, self-describing netCDF."""

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest
import xarray as xr

from invrl.checks import check_config
from invrl.config import load_config, settings_dir
from invrl.cube import assemble
from invrl.errors import ConfigError
from invrl.evaluate import write_netcdf
from invrl.families import optimum_of
from invrl.instance import build_instance
from invrl.runs import run
from invrl.settings import load_setting, resolve_setting
from invrl.spec import RunSpec

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "src" / "invrl"
PLUGIN = REPO / "tests" / "plugins" / "toy_family.py"

# report -> cube -> evaluate -> train -> policies -> systems -> demand; exact beside systems. The
# base (errors, io, registry, options, config, spec) is importable from anywhere; the application
# modules on top (families, instance, settings, runs, checks, cli, demand_summary) may import anything.
LAYERS = {"demand": 1, "systems": 2, "exact": 2.5, "policies": 3, "rollout": 3, "train": 4, "evaluate": 5, "cube": 6,
          "report": 7}
BASE = {"errors", "io", "registry", "options", "config", "spec", "__init__"}


def _layer(module: str) -> float | None:
    top = module.split(".")[1] if module.startswith("invrl.") else None
    if top is None or top in BASE:
        return 0
    return LAYERS.get(top)


def test_no_module_imports_from_a_layer_above_it():
    violations = []
    for path in PACKAGE.rglob("*.py"):
        module = "invrl." + ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
        own = _layer(module)
        if own is None:  # application modules
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module] if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 else [])
            for name in names:
                if name == "invrl" or not name.startswith("invrl."):
                    continue
                target = _layer(name)
                if target is None or (target > own and not name.startswith(module.rsplit(".", 1)[0])):
                    violations.append(f"{module} imports {name}")
    assert not violations, violations


def test_a_setting_without_lost_sales_takes_its_family_default_everywhere():
    """The defect: the schema said lost_sales defaults to true, the simulator assumed it, and
    optimum_for raised KeyError; a serial line without it built a backlog line."""
    plain = {"system": "single_location", "lead_time": 1, "holding_cost": 1.0, "shortage_cost": 4.0,
             "demand": {"distribution": "poisson", "mean": 5.0}, "round_actions": True}
    setting = resolve_setting(plain, "test setting")
    assert setting["lost_sales"] is True
    assert optimum_of(setting)["optimal_cost"] == pytest.approx(4.0407, abs=1e-4)  # Zipkin: lost sales, L1, p4
    sizes = {s: {"samples": 4, "periods": 5, "warmup": 1} for s in ("train", "dev", "test")}
    assert build_instance(setting, sizes, 1).system.lost_sales is True
    serial = load_setting("serial", {})
    del serial["lost_sales"]
    assert resolve_setting(serial, "serial")["lost_sales"] is False


@pytest.mark.parametrize("path,value,named", [
    (("scales", "smoke", "hdpo"), {"max_step": 20}, "scales.smoke.hdpo.max_step"),
    (("policies", "hdpo_gnn", "network"), {"hiden": 16}, "policies.hdpo_gnn.network.hiden"),
    (("policies", "hdpo_mlp", "hdpo"), {"learning_rate": "fast"}, "policies.hdpo_mlp.hdpo.learning_rate"),
])
def test_option_typos_fail_the_config_check_naming_the_key(path, value, named):
    config = load_config()
    node = config
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = {**node.get(path[-1], {}), **value}
    with pytest.raises(ConfigError, match=named.replace(".", r"\.")):
        check_config(config, settings_dir())


def test_the_shipped_config_passes_every_check_at_every_scale():
    config = load_config()
    for scale in config["scales"]:
        check_config(config, settings_dir(), scale=scale)


def _tiny(policy="hdpo_mlp", **kwargs):
    config = load_config()
    from invrl.config import run_sizes

    learned = policy.startswith("hdpo")
    sizes = run_sizes(config, None, "smoke", policy, learned)
    return RunSpec(setting="lost_sales", policy=policy, policy_config=config["policies"][policy], sizes=sizes,
                   scale="smoke", device="cpu", **kwargs)


def test_run_files_and_cubes_describe_every_variable(tmp_path):
    reference = {"optimal_cost": 4.0407}
    learned = run(_tiny(overrides={"lead_time": 1}, reference=reference), progress=False)
    heuristic = run(_tiny("capped_base_stock", overrides={"lead_time": 1}, reference=reference))
    assert learned["cost"].attrs["units"] == "cost per period per store" and "lower is better" in learned["cost"].attrs["long_name"]
    assert learned["gap"].attrs["units"] == "percent" and learned.attrs["Conventions"].startswith("CF")
    assert learned.attrs["scale"] == "smoke" and str(learned["setting"].values) == "lost_sales"
    assert learned.instance.values[0] == "lead_time-1"  # a CLI run is named after its overrides
    assert {"parameter_level", "parameter_cap"} <= set(heuristic.data_vars)  # fitted parameters are kept
    assert heuristic["parameter_cap"].values.item() > 0
    for ds, name in ((learned, "a.nc"), (heuristic, "b.nc")):
        write_netcdf(ds, tmp_path / name)
    cube = assemble([tmp_path / "a.nc", tmp_path / "b.nc"], "adhoc")
    for name in ("cost", "gap", "steps", "dev_cost", "optimal_cost"):
        assert cube[name].attrs["long_name"] and cube[name].attrs["units"], name
    assert cube["instance"].attrs["description"]
    records = json.loads(cube.attrs["provenance"])
    assert {r["policy"] for r in records} == {"hdpo_mlp", "capped_base_stock"}
    assert all(r["torch_version"] and r["config_hash"] and "threads" in r for r in records)


def test_cubes_keep_the_grid_order_of_instances(tmp_path):
    paths = []
    for lead in (4, 19):  # string order would put p19 first
        ds = run(_tiny("base_stock", overrides={"shortage_cost": lead}, instance=f"L1-p{lead}",
                       instance_values={"shortage_cost": lead}))
        paths.append(tmp_path / f"{lead}.nc")
        write_netcdf(ds, paths[-1])
    assert list(assemble(paths, "adhoc").instance.values) == ["L1-p4", "L1-p19"]


def _cli(*args, cwd=REPO):
    return subprocess.run([sys.executable, "-m", "invrl", *args], cwd=cwd, capture_output=True, text=True, timeout=600)


def test_a_family_and_a_policy_from_a_plugin_train_through_the_cli(tmp_path):
    """Nothing under src/invrl knows the toy family: it registers from tests/plugins/toy_family.py."""
    config = load_config()
    config["plugins"] = [str(PLUGIN)]
    config["policies"]["toy"] = {"method": "hdpo", "architecture": "toy_linear", "network": {"initial_level": 8.0},
                                 "hdpo": {"learning_rate": 0.1}}
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.yaml").write_text(json.dumps(config))
    setting = REPO / "tests" / "plugins" / "capped_single_location.yaml"
    result = _cli("train", str(setting), "toy", "--scale", "smoke", "--config", str(tmp_path / "config" / "config.yaml"),
                  "--out", str(tmp_path / "toy.nc"))
    assert result.returncode == 0, result.stderr[-2000:]
    run_file = xr.open_dataset(tmp_path / "toy.nc")
    cost = float(run_file["cost"].squeeze())
    # a cap can only cost more than the uncapped optimum (5.44, Zipkin: L1, p9); ordering nothing costs 9 x 5
    assert 5.44 < cost < 45.0
    assert run_file.attrs["method"] == "hdpo" and "capped_single_location" in run_file.attrs["config"]
    heuristic = _cli("train", str(setting), "base_stock", "--scale", "smoke", "--config", str(tmp_path / "config" / "config.yaml"))
    assert heuristic.returncode == 0, heuristic.stderr[-2000:]
    assert "base_stock: test cost" in heuristic.stdout
