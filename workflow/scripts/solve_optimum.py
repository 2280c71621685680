import sys; sys.stderr = open(snakemake.log[0], "w")  # noqa: E702
import json
import time

from invrl.config import load_setting, parse_assignments
from invrl.exact import optimum_for
from invrl.io import write_text

values = json.loads(snakemake.params.instance)
setting = load_setting(snakemake.input.setting, parse_assignments([f"{k}={v}" for k, v in values.items()]))
start = time.perf_counter()
optimum = optimum_for(setting)
print(f"optimum {optimum} in {time.perf_counter() - start:.1f}s", file=sys.stderr)
write_text(snakemake.output.optimum, json.dumps({"setting": setting, "optimum": optimum}, indent=2) + "\n")
