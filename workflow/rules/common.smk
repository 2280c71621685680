"""Config-derived helpers shared by the rules: instances, wildcards, inputs, code digests.

Each scale writes under its own root, ``results/{scale}/`` (real data, which
does not depend on the scale, stays under ``results/data/``). Each rule's
params hold only what its output depends on, so an edit reruns exactly the
jobs it touches.
"""

import hashlib
import json
import re
import sys

sys.path.insert(0, str(Path(workflow.basedir) / "src"))

from snakemake.exceptions import WorkflowError

from invrl.checks import check_config
from invrl.config import demand_sizes, experiment_at_scale, prepare_config, run_sizes, setting_path
from invrl.config import instance_values as _instance_values
from invrl.errors import ConfigError
from invrl.report import FIGURES
from invrl.settings import load_setting
from invrl.train.method import TRAINING_METHODS

SETTINGS_DIR = Path(workflow.basedir) / "config" / "settings"
try:
    prepare_config(config, "config (config/config.yaml with --config/--configfile overrides)")
    check_config(config, SETTINGS_DIR, figures=tuple(FIGURES), base=workflow.basedir)
except ConfigError as error:
    raise WorkflowError(f"invrl: configuration error: {error}") from None

SCALE = config["scale"]
RESULTS = f"results/{SCALE}"
EXPERIMENTS = {name: experiment_at_scale(exp, SCALE) for name, exp in config["experiments"].items()}
INSTANCE_VALUES = {name: _instance_values(exp) for name, exp in EXPERIMENTS.items()}
LEARNED_POLICIES = [p for p, c in config["policies"].items() if TRAINING_METHODS[c["method"]].learned]
GROUPED_POLICIES = [p for p, c in config["policies"].items() if not TRAINING_METHODS[c["method"]].learned]
REAL_SOURCE = {
    name: load_setting(setting_path(exp["setting"], SETTINGS_DIR))["demand"].get("source")
    for name, exp in EXPERIMENTS.items()
}


def _alternatives(names):
    return "|".join(re.escape(str(n)) for n in sorted(set(names))) or "NONE"


wildcard_constraints:
    experiment=_alternatives(EXPERIMENTS),
    instance=_alternatives(i for insts in INSTANCE_VALUES.values() for i in insts),
    policy=_alternatives(LEARNED_POLICIES),
    seed=r"\d+",
    train_size=r"\d+",


def code_digest(*packages):
    """Content digest of library code a rule depends on (edits to src/ then rerun it)."""
    h = hashlib.sha256()
    root = Path(workflow.basedir) / "src" / "invrl"
    for package in packages:
        target = root / package
        files = sorted(target.rglob("*.py")) if target.is_dir() else [target]
        for path in files:
            h.update(path.read_bytes())
    return h.hexdigest()[:16]


SIMULATION_CODE = ("demand", "systems", "policies", "families", "rollout.py", "instance.py", "config.py", "settings.py",
                   "options.py", "registry.py", "spec.py", "evaluate.py", "runs.py")
EXACT_CODE = ("exact", "families", "systems/topologies.py", "settings.py")
TRAIN_DIGEST = code_digest(*SIMULATION_CODE, "train")
EXACT_DIGEST = code_digest(*EXACT_CODE)
PLUGINS = json.dumps(config["plugins"])


def get_setting_file(wildcards):
    return str(setting_path(EXPERIMENTS[wildcards.experiment]["setting"], SETTINGS_DIR))


def get_instance_values(wildcards):
    """Grid values of the instance as JSON: setting overrides and run coordinates (a param, so a change reruns)."""
    return json.dumps(INSTANCE_VALUES[wildcards.experiment][wildcards.instance], sort_keys=True)


def get_learned_policies(wildcards):
    return [p for p in EXPERIMENTS[wildcards.experiment]["policies"] if p in LEARNED_POLICIES]


def get_grouped_policies(wildcards):
    return [p for p in EXPERIMENTS[wildcards.experiment]["policies"] if p in GROUPED_POLICIES]


def get_policy_config(wildcards):
    return json.dumps(config["policies"][wildcards.policy], sort_keys=True)


def get_run_sizes(wildcards):
    """The splits this run draws and its method's options at this scale (the experiment's and the
    policy's own overrides merged): a change reruns exactly the runs it touches."""
    return json.dumps(run_sizes(config, wildcards.experiment, SCALE, wildcards.policy, True), sort_keys=True)


def get_grouped_runs(wildcards):
    """Policy name, config and sizes of each heuristic of the experiment (one job fits them all)."""
    return json.dumps([
        {"policy": p, "config": config["policies"][p], "sizes": run_sizes(config, wildcards.experiment, SCALE, p, False)}
        for p in get_grouped_policies(wildcards)
    ], sort_keys=True)


def get_demand_sizes(wildcards):
    return json.dumps(demand_sizes(config, wildcards.experiment, SCALE), sort_keys=True)


def get_demand_input(wildcards):
    """What a run's demand comes from: the processed real data set, or the synthetic demand's summary."""
    source = REAL_SOURCE[wildcards.experiment]
    return f"results/data/processed/{source}.pt" if source else f"{RESULTS}/data/synthetic/{wildcards.experiment}.nc"


def get_run_files(wildcards):
    """Every run file of an experiment: learned runs per seed, one heuristics file per instance."""
    exp = EXPERIMENTS[wildcards.experiment]
    files = []
    for instance in INSTANCE_VALUES[wildcards.experiment]:
        for policy in get_learned_policies(wildcards):
            folder = f"{RESULTS}/runs/{wildcards.experiment}/{instance}/{policy}"
            if "train_sizes" in exp:
                files += [f"{folder}/n{n}/seed{seed}.nc" for n in exp["train_sizes"] for seed in exp["seeds"]]
            else:
                files += [f"{folder}/seed{seed}.nc" for seed in exp["seeds"]]
        if get_grouped_policies(wildcards):
            files.append(f"{RESULTS}/runs/{wildcards.experiment}/{instance}/heuristics.nc")
    return files


def get_instances_json(wildcards):
    return json.dumps(INSTANCE_VALUES[wildcards.experiment], sort_keys=True)


def get_data_seed(wildcards):
    return EXPERIMENTS[wildcards.experiment]["data_seed"]


def get_optimum_file(wildcards):
    return f"{RESULTS}/optimum/{wildcards.experiment}/{wildcards.instance}.json"


def synthetic_experiments():
    return [name for name in EXPERIMENTS if not REAL_SOURCE[name]]


def table_files(existing_cubes_only=False):
    """Every experiment's table; ``existing_cubes_only``: only where the cube exists (regenerate without retraining)."""
    return [f"{RESULTS}/tables/{e}.md" for e in EXPERIMENTS
            if not existing_cubes_only or Path(f"{RESULTS}/cubes/{e}.nc").exists()]


def figure_files(existing_cubes_only=False):
    return [f"{RESULTS}/figures/{e}_{figure}.png" for e in EXPERIMENTS for figure in EXPERIMENTS[e]["figures"]
            if not existing_cubes_only or Path(f"{RESULTS}/cubes/{e}.nc").exists()]
