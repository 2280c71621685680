import sys; sys.stderr = open(snakemake.log[0], "w")  # noqa: E702
import json
import logging
from pathlib import Path

from invrl.config import parse_assignments
from invrl.evaluate import write_netcdf
from invrl.runs import train_and_evaluate

logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
values = json.loads(snakemake.params.instance)
reference = json.loads(Path(snakemake.input.optimum).read_text())["optimum"] or {}
checkpoint = Path(snakemake.params.checkpoint)
run = train_and_evaluate(
    setting_name=snakemake.input.setting,
    overrides=parse_assignments([f"{k}={v}" for k, v in values.items()]),
    policy_name=snakemake.wildcards.policy,
    policy_config=json.loads(snakemake.params.policy),
    sizes=json.loads(snakemake.params.sizes),
    seed=int(snakemake.wildcards.seed),
    data_seed=snakemake.params.data_seed,
    experiment=snakemake.wildcards.experiment,
    instance_name=snakemake.wildcards.instance,
    instance_values=values,
    optimum=reference.get("optimal_cost"),
    lower_bound=reference.get("lower_bound"),
    checkpoint=checkpoint,
    device=snakemake.params.device,
    threads=snakemake.threads,
    progress=False,
    train_samples=int(snakemake.wildcards.train_size) if "train_size" in snakemake.wildcards.keys() else None,
)
write_netcdf(run, snakemake.output.run)
checkpoint.unlink(missing_ok=True)  # the run is complete; a rerun starts afresh
