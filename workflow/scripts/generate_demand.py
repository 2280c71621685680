import sys; sys.stderr = open(snakemake.log[0], "w")  # noqa: E702
import json

from invrl.demand_summary import summarise_experiment
from invrl.evaluate import write_netcdf
from invrl.registry import load_plugins

load_plugins(json.loads(snakemake.params.plugins))
summary = summarise_experiment(
    snakemake.input.setting, json.loads(snakemake.params.instances), json.loads(snakemake.params.sizes),
    snakemake.params.data_seed,
)
write_netcdf(summary.assign_attrs(experiment=snakemake.wildcards.experiment), snakemake.output.summary)
