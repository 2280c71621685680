import sys; sys.stderr = open(snakemake.log[0], "w")  # noqa: E702
import json
import logging
from pathlib import Path

from invrl.config import parse_assignments
from invrl.evaluate import write_netcdf
from invrl.runs import fit_and_evaluate_heuristics

logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
values = json.loads(snakemake.params.instance)
reference = json.loads(Path(snakemake.input.optimum).read_text())["optimum"] or {}
runs = fit_and_evaluate_heuristics(
    setting_name=snakemake.input.setting,
    overrides=parse_assignments([f"{k}={v}" for k, v in values.items()]),
    heuristics=list(snakemake.params.heuristics),
    sizes=json.loads(snakemake.params.sizes),
    data_seed=snakemake.params.data_seed,
    experiment=snakemake.wildcards.experiment,
    instance_name=snakemake.wildcards.instance,
    instance_values=values,
    optimum=reference.get("optimal_cost"),
    lower_bound=reference.get("lower_bound"),
    device=snakemake.params.device,
    threads=snakemake.threads,
)
write_netcdf(runs, snakemake.output.run)
