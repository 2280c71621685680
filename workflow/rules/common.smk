"""Config-derived helpers shared by the rules: instances, wildcards, inputs, code digests."""

import hashlib
import json
import re
import sys

sys.path.insert(0, str(Path(workflow.basedir) / "src"))

from invrl.config import experiment_at_scale, experiment_sizes
from invrl.config import instance_values as _instance_values
from invrl.config import setting_path

SCALE = config["scale"]
EXPERIMENTS = {name: experiment_at_scale(exp, SCALE) for name, exp in config["experiments"].items()}
INSTANCE_VALUES = {name: _instance_values(exp) for name, exp in EXPERIMENTS.items()}
HDPO_POLICIES = [p for p, c in config["policies"].items() if c["method"] == "hdpo"]
HEURISTIC_POLICIES = [p for p, c in config["policies"].items() if c["method"] == "heuristic"]


def _alternatives(names):
    return "|".join(re.escape(str(n)) for n in sorted(set(names))) or "NONE"


wildcard_constraints:
    experiment=_alternatives(EXPERIMENTS),
    instance=_alternatives(i for insts in INSTANCE_VALUES.values() for i in insts),
    policy=_alternatives(HDPO_POLICIES),
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


SIMULATION_CODE = ("demand", "systems", "policies", "rollout.py", "instance.py", "config.py", "evaluate.py", "runs.py")
EXACT_CODE = ("exact", "systems/topologies.py")
TRAIN_DIGEST = code_digest(*SIMULATION_CODE, "train")
EXACT_DIGEST = code_digest(*EXACT_CODE)


def get_setting_file(wildcards):
    return str(setting_path(EXPERIMENTS[wildcards.experiment]["setting"]))


def get_instance_values(wildcards):
    """Grid values of the instance as JSON: setting overrides and run coordinates (a param, so a change reruns)."""
    return json.dumps(INSTANCE_VALUES[wildcards.experiment][wildcards.instance], sort_keys=True)


def get_hdpo_policies(wildcards):
    return [p for p in EXPERIMENTS[wildcards.experiment]["policies"] if p in HDPO_POLICIES]


def get_heuristics(wildcards):
    return [p for p in EXPERIMENTS[wildcards.experiment]["policies"] if p in HEURISTIC_POLICIES]


def get_policy_config(wildcards):
    return json.dumps(config["policies"][wildcards.policy], sort_keys=True)


def get_sizes(wildcards):
    """The scale's sizes with the experiment's overrides, and the policy's own HDPO options where
    the rule has a policy (a param, so a change reruns exactly the runs it touches)."""
    policy = getattr(wildcards, "policy", None)
    return json.dumps(experiment_sizes(config, wildcards.experiment, SCALE, policy), sort_keys=True)


def get_run_files(wildcards):
    """Every run file of an experiment: HDPO runs per seed, one heuristics file per instance."""
    exp = EXPERIMENTS[wildcards.experiment]
    files = []
    for instance in INSTANCE_VALUES[wildcards.experiment]:
        for policy in get_hdpo_policies(wildcards):
            folder = f"results/runs/{wildcards.experiment}/{instance}/{policy}"
            if "train_sizes" in exp:
                files += [f"{folder}/n{n}/seed{seed}.nc" for n in exp["train_sizes"] for seed in exp["seeds"]]
            else:
                files += [f"{folder}/seed{seed}.nc" for seed in exp["seeds"]]
        if get_heuristics(wildcards):
            files.append(f"results/runs/{wildcards.experiment}/{instance}/heuristics.nc")
    return files


def get_experiment_json(wildcards):
    return json.dumps(EXPERIMENTS[wildcards.experiment], sort_keys=True)


def get_instances_json(wildcards):
    return json.dumps(INSTANCE_VALUES[wildcards.experiment], sort_keys=True)


def get_data_seed(wildcards):
    return EXPERIMENTS[wildcards.experiment].get("data_seed", 1)


def get_optimum_file(wildcards):
    return f"results/optimum/{wildcards.experiment}/{wildcards.instance}.json"


def get_figure_files(experiment):
    return [f"results/figures/{experiment}_{figure}.png" for figure in EXPERIMENTS[experiment].get("figures", [])]
