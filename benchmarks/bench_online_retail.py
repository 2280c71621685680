"""Time and peak memory of preprocessing Online Retail II (budget: under 60 s on 2 cores).

    python benchmarks/bench_online_retail.py [--raw results/data/raw/online_retail.csv.xz] [--repeat 3]

Each measurement runs in a fresh Python process (so peak RSS is that of one
preprocessing run, imports included): read and validate the 1.07 million
invoice lines, filter, aggregate, build the features and save the processed
file, with the settings of config/real_data.yaml. Prints one row per
frequency (best wall time over the repeats, peak RSS) and exits 1 if any run
takes longer than ``--budget`` seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, resource, sys, time
t0 = time.perf_counter()
import torch
torch.set_num_threads(int(sys.argv[4]))
from invrl.demand.real import save_real_demand
from invrl.demand.real.online_retail import preprocess_online_retail, read_online_retail
t1 = time.perf_counter()
cfg = json.loads(sys.argv[2])
lines = read_online_retail(sys.argv[1], cfg["date_format"])
t2 = time.perf_counter()
real = preprocess_online_retail(lines, cfg, source=sys.argv[1])
t3 = time.perf_counter()
save_real_demand(real, sys.argv[3])
t4 = time.perf_counter()
print(json.dumps({
    "import_s": t1 - t0, "read_s": t2 - t1, "preprocess_s": t3 - t2, "save_s": t4 - t3, "total_s": t4 - t1,
    "series": real.data.n_samples, "periods": real.data.n_periods, "features": len(real.data.feature_names),
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
"""


def run_once(raw: Path, cfg: dict, threads: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(raw), json.dumps(cfg), str(Path(tmp) / "x.pt"), str(threads)],
            capture_output=True, text=True, check=True, env={**os.environ, "OMP_NUM_THREADS": str(threads)},
        )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    import yaml

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw", type=Path, default=REPO / "results/data/raw/online_retail.csv.xz")
    parser.add_argument("--config", type=Path, default=REPO / "config/real_data.yaml")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--budget", type=float, default=60.0)
    args = parser.parse_args()
    if not args.raw.is_file():
        print(f"{args.raw}: not found; run `snakemake --cores 1 fetch_online_retail` first", file=sys.stderr)
        return 2
    datasets = yaml.safe_load(args.config.read_text())["real_data"]["datasets"]
    print(f"# {args.raw} ({args.raw.stat().st_size / 1e6:.1f} MB), {args.threads} threads, "
          f"{os.cpu_count()} cores visible, best of {args.repeat}")
    print("| data set | series x periods x features | read s | preprocess s | save s | total s | peak RSS MB |")
    print("|---|---|---:|---:|---:|---:|---:|")
    worst = 0.0
    for name in ("online_retail", "online_retail_daily"):
        runs = [run_once(args.raw, datasets[name], args.threads) for _ in range(args.repeat)]
        best = min(runs, key=lambda r: r["total_s"])
        worst = max(worst, max(r["total_s"] for r in runs))
        print(f"| {name} | {best['series']} x {best['periods']} x {best['features']} | {best['read_s']:.2f} | "
              f"{best['preprocess_s']:.2f} | {best['save_s']:.2f} | {best['total_s']:.2f} | "
              f"{max(r['peak_rss_mb'] for r in runs):.0f} |")
    print(f"# slowest run {worst:.2f} s; budget {args.budget:.0f} s: {'OK' if worst < args.budget else 'OVER BUDGET'}")
    print(f"# this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB", file=sys.stderr)
    return 0 if worst < args.budget else 1


if __name__ == "__main__":
    sys.exit(main())
