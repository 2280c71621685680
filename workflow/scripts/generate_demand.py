import sys; sys.stderr = open(snakemake.log[0], "w")  # noqa: E702
import json

from invrl.demand_summary import summarise_experiment
from invrl.evaluate import write_netcdf

experiment = json.loads(snakemake.params.experiment)
summary = summarise_experiment(
    experiment["setting"], json.loads(snakemake.params.instances), json.loads(snakemake.params.sizes),
    experiment.get("data_seed", 1),
)
write_netcdf(summary.assign_attrs(experiment=snakemake.wildcards.experiment), snakemake.output.summary)
