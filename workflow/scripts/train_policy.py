import sys; sys.stderr = open(snakemake.log[0], "w")  # noqa: E702
import json
import logging
from pathlib import Path

from invrl.config import overrides_of
from invrl.evaluate import write_netcdf
from invrl.runs import run
from invrl.spec import RunSpec

logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
values = json.loads(snakemake.params.instance)
output = Path(snakemake.output.run)
spec = RunSpec(
    setting=snakemake.input.setting,
    policy=snakemake.wildcards.policy,
    policy_config=json.loads(snakemake.params.policy),
    sizes=json.loads(snakemake.params.sizes),
    overrides=overrides_of(values),
    seed=int(snakemake.wildcards.seed),
    data_seed=snakemake.params.data_seed,
    train_samples=int(snakemake.wildcards.train_size) if "train_size" in snakemake.wildcards.keys() else None,
    experiment=snakemake.wildcards.experiment,
    instance=snakemake.wildcards.instance,
    instance_values=values,
    scale=snakemake.params.scale,
    reference=json.loads(Path(snakemake.input.optimum).read_text())["optimum"] or {},
    device=snakemake.params.device,
    threads=snakemake.threads,
    plugins=tuple(json.loads(snakemake.params.plugins)),
)
# the checkpoint sits beside the output and is removed once the run is complete
write_netcdf(run(spec, checkpoint=output.with_suffix(".ckpt.pt"), progress=False), output)
