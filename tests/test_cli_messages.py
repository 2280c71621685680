"""Each mistake a user can make on the command line is one line on stderr and exit status 2."""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]


def cli(*args, cwd=REPO):
    return subprocess.run([sys.executable, "-m", "invrl", *args], cwd=cwd, capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("args,named", [
    (["train", "lost_sales", "hdpo_gnn", "--scale", "smoke", "--no-optimum"], "architecture 'gnn' does not serve SingleLocation"),
    (["train", "lost_sales", "echelon_stock", "--scale", "smoke", "--no-optimum"], "does not apply to single_location"),
    (["train", "lost_sales", "hdpo_mlp", "--scale", "smoke", "--set", "shortage_cst=4"], "unexpected key 'shortage_cst'"),
    (["train", "lost_sales", "hdpo_mlp", "--scale", "smoke", "--out", "README.md/run.nc"], "README.md is a file"),
    (["train", "lost_sales", "hdpo_mlp", "--scale", "smoke", "--out", "src"], "is a directory"),
    (["train", "lost_sales", "hdpo_mpl", "--scale", "smoke"], "unknown policy 'hdpo_mpl'"),
    (["exact", "lost_sales", "--lead-time", "-1", "--p", "4"], "lead_time"),
    (["exact", "lost_sales", "--lead-time", "1", "--p", "-4"], "shortage"),
    (["exact", "lost_sales", "--lead-time", "1", "--p", "4", "--mean", "-5"], "mean"),
])
def test_a_mistake_is_one_line_and_exit_code_2(args, named):
    result = cli(*args)
    assert result.returncode == 2, result.stderr[-1500:]
    assert named in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 3


def test_an_unwritable_out_is_caught_before_training(tmp_path):
    """The run must not be lost: the path is checked before the (long) training starts."""
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = cli("train", "lost_sales", "hdpo_mlp", "--scale", "default", "--out", str(blocker / "run.nc"))
    assert result.returncode == 2 and str(blocker) in result.stderr and ".tmp" not in result.stderr


def test_a_training_option_typo_in_the_config_is_named(tmp_path):
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    config["scales"]["smoke"]["hdpo"]["max_step"] = 20
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    result = cli("train", "lost_sales", "hdpo_mlp", "--scale", "smoke", "--config", str(path), "--no-optimum")
    assert result.returncode == 2 and "scales.smoke.hdpo.max_step" in result.stderr


def test_the_cli_checkpoints_beside_out_and_removes_it_when_done(tmp_path):
    out = tmp_path / "run.nc"
    result = cli("train", "lost_sales", "hdpo_mlp", "--scale", "smoke", "--no-optimum", "--out", str(out), "-v")
    assert result.returncode == 0, result.stderr[-1500:]
    assert out.exists() and not out.with_suffix(".ckpt.pt").exists()
    assert "starting fresh" in result.stderr


def test_a_lead_time_beyond_the_dp_trains_without_an_optimum():
    result = cli("train", "lost_sales", "base_stock", "--scale", "smoke", "--set", "lead_time=6")
    assert result.returncode == 0, result.stderr[-1500:]
    assert "base_stock: test cost" in result.stdout and "gap" not in result.stdout
