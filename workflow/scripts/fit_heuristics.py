import sys; sys.stderr = open(snakemake.log[0], "w")  # noqa: E702
import json
import logging
from pathlib import Path

from invrl.config import overrides_of
from invrl.evaluate import write_netcdf
from invrl.runs import run_group
from invrl.spec import RunSpec

logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
values = json.loads(snakemake.params.instance)
reference = json.loads(Path(snakemake.input.optimum).read_text())["optimum"] or {}
specs = [
    RunSpec(
        setting=snakemake.input.setting,
        policy=entry["policy"],
        policy_config=entry["config"],
        sizes=entry["sizes"],
        overrides=overrides_of(values),
        data_seed=snakemake.params.data_seed,
        experiment=snakemake.wildcards.experiment,
        instance=snakemake.wildcards.instance,
        instance_values=values,
        scale=snakemake.params.scale,
        reference=reference,
        device=snakemake.params.device,
        threads=snakemake.threads,
        plugins=tuple(json.loads(snakemake.params.plugins)),
    )
    for entry in json.loads(snakemake.params.runs)
]
write_netcdf(run_group(specs), snakemake.output.run)
