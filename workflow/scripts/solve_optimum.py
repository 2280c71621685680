import sys; sys.stderr = open(snakemake.log[0], "w")  # noqa: E702
import json
import time

from invrl.config import overrides_of
from invrl.families import optimum_of
from invrl.io import write_text
from invrl.registry import load_plugins
from invrl.settings import load_setting

load_plugins(json.loads(snakemake.params.plugins))
setting = load_setting(snakemake.input.setting, overrides_of(json.loads(snakemake.params.instance)))
start = time.perf_counter()
optimum = optimum_of(setting)
print(f"optimum {optimum} in {time.perf_counter() - start:.1f}s", file=sys.stderr)
write_text(snakemake.output.optimum, json.dumps({"setting": setting, "optimum": optimum}, indent=2) + "\n")
