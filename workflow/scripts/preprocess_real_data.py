import sys; sys.stderr = open(snakemake.log[0], "w")  # noqa: E702
import json

import torch

from invrl.demand.real import preprocess, save_real_demand
from invrl.demand.real.fetch import report_errors, verify_raw_file

torch.set_num_threads(snakemake.threads)
cfg = {"name": snakemake.wildcards.dataset, **json.loads(snakemake.params.dataset)}
with report_errors():
    verify_raw_file(snakemake.input.raw, snakemake.input.provenance)
    real = preprocess(cfg["source"], snakemake.input.raw, cfg)
save_real_demand(real, snakemake.output.data)
