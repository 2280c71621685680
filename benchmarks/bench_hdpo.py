"""HDPO benchmark: time to a 0.2% dev gap on the lost-sales cells, and simulator throughput.

    python benchmarks/bench_hdpo.py                      # 16 cells, 2 worker processes of 1 thread
    python benchmarks/bench_hdpo.py --cells 2,4 4,39 --json bench.json
    python benchmarks/bench_hdpo.py --skip-cells         # throughput only

Each lost-sales cell (Poisson(5), h = 1) trains the default recipe (``HDPOConfig()``,
``MLPConfig()``, continuous orders in training, rounded ones in evaluation) on one thread, with the default
split sizes (train 8192 x (20 + 10 + L) periods, dev 4096 x (300 + 50 + L),
test 16384 x (800 + 200 + L); warm-ups 10 + L, 50 + L, 200 + L). It reports:

- ``t_0.2%``: wall time from the start of training (dev evaluations included)
  to the first dev evaluation within 0.2% of the optimal policy's cost on the
  same dev paths (the exact DP policy run with common random numbers, so the
  dev set's sampling luck cancels); ``t_0.2% (value)`` uses the DP optimum's
  value instead;
- the dev-selected policy's test gap, to the DP optimum's value and (crn) to the
  DP policy on the same test paths, both with orders rounded;
- the total training time and steps.

Cells run in ``--threads`` worker processes of one torch thread each, so the
times include whatever contention the machine has; the throughput
measurements run alone on one thread afterwards: sample-periods per second of
the lost-sales simulator (L = 2) with the default MLP, forward without
gradient, and forward with gradient plus backward.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing as mp
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tune_hdpo import build, optimum, reference_cost, split  # noqa: E402

from invrl.policies.mlp import MLPConfig, MLPPolicy  # noqa: E402
from invrl.rollout import rollout  # noqa: E402
from invrl.train.hdpo import HDPOConfig, train_hdpo  # noqa: E402

CELLS = [(L, p) for L in (1, 2, 3, 4) for p in (4, 9, 19, 39)]
SIZES = {"train": (8192, 20, 10), "dev": (4096, 300, 50), "test": (16384, 800, 200)}


def first_hit(curve: dict, level: float) -> float:
    for wall, cost in zip(curve["wall_time_s"], curve["dev_cost"]):
        if cost <= level:
            return wall
    return math.nan


def run_cell(job) -> dict:
    (L, p), seed, data_seed, target = job
    torch.set_num_threads(1)
    system, law = build(False, L, p)
    opt = optimum(False, L, p)
    train, train_w = split(law, "train", *SIZES["train"], L, data_seed)
    dev, dev_w = split(law, "dev", *SIZES["dev"], L, data_seed)
    dev_ref = reference_cost(False, L, p, system, dev, dev_w)
    torch.manual_seed(seed)
    policy = MLPPolicy(MLPPolicy.n_inputs(system.max_lead_time), MLPConfig())
    config = HDPOConfig()
    result = train_hdpo(system, policy, train, dev, config=config, warmup=train_w, dev_warmup=dev_w, seed=seed,
                        round_actions=True, optimum=opt, progress=False)
    test, test_w = split(law, "test", *SIZES["test"], L, data_seed)
    with torch.no_grad():
        cost = float(rollout(system, result.policy, test, round_actions=True).mean_cost(test_w))
    test_ref = reference_cost(False, L, p, system, test, test_w)
    return {
        "L": L, "p": p, "optimum": opt,
        "time_to_target_s": first_hit(result.curve, dev_ref * (1 + target / 100)),
        "time_to_target_value_s": first_hit(result.curve, opt * (1 + target / 100)),
        "dev_gap_pct": 100 * (result.best_dev_cost / dev_ref - 1),
        "test_gap_pct": 100 * (cost / opt - 1), "test_gap_crn_pct": 100 * (cost / test_ref - 1),
        "train_time_s": result.wall_time_s, "steps": result.steps, "best_step": result.best_step,
    }


def throughput(batch: int, periods: int = 32, repeats: int = 3) -> dict:
    """Sample-periods per second on one thread: no-grad forward, and forward + backward."""
    torch.set_num_threads(1)
    system, law = build(False, 2, 4.0)
    demand, warmup = split(law, "train", batch, periods - 12, 10, 2, 1)
    torch.manual_seed(0)
    policy = MLPPolicy(MLPPolicy.n_inputs(system.max_lead_time), MLPConfig())
    work = batch * demand.n_periods

    def best_of(fn):
        fn()  # warm-up
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        return min(times)

    def forward():
        with torch.no_grad():
            rollout(system, policy, demand, round_actions=True)

    def backward():
        policy.zero_grad(set_to_none=True)
        rollout(system, policy, demand).mean_cost(warmup).backward()

    fwd, bwd = best_of(forward), best_of(backward)
    return {"batch": batch, "periods": demand.n_periods, "forward_sp_per_s": work / fwd,
            "forward_backward_sp_per_s": work / bwd, "forward_s": fwd, "forward_backward_s": bwd}


def fmt(x, digits=1):
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cells", nargs="+", help="L,p pairs (default: the 16 lost-sales cells)")
    ap.add_argument("--threads", type=int, default=2, help="worker processes, one torch thread each")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--data-seed", type=int, default=1)
    ap.add_argument("--target", type=float, default=0.2, help="dev gap (%%) to time")
    ap.add_argument("--batches", type=int, nargs="*", default=[1024, 8192], help="throughput batch sizes")
    ap.add_argument("--skip-cells", action="store_true")
    ap.add_argument("--json", help="also write the results here")
    args = ap.parse_args()

    cells = [tuple(int(float(v)) if i == 0 else float(v) for i, v in enumerate(c.split(","))) for c in args.cells] \
        if args.cells else CELLS
    results = {"recipe": {"hdpo": repr(HDPOConfig()), "mlp": repr(MLPConfig()), "sizes": SIZES},
               "threads": args.threads, "cells": [], "throughput": []}
    start = time.perf_counter()
    if not args.skip_cells:
        # longest first (larger L and p train longer) for a balanced pool
        jobs = [((L, p), args.seed, args.data_seed, args.target) for L, p in sorted(cells, key=lambda c: (-c[0], -c[1]))]
        with mp.get_context("spawn").Pool(args.threads, maxtasksperchild=1) as pool:
            for row in pool.imap_unordered(run_cell, jobs):
                results["cells"].append(row)
                print(f"L={row['L']} p={row['p']:g}: t_target={fmt(row['time_to_target_s'])}s "
                      f"test gap {row['test_gap_pct']:.3f}%", file=sys.stderr, flush=True)
        results["cells"].sort(key=lambda r: (r["L"], r["p"]))
    results["cells_wall_s"] = time.perf_counter() - start
    for batch in args.batches:
        results["throughput"].append(throughput(batch))

    if results["cells"]:
        print(f"## Lost sales, Poisson(5), h=1: default HDPO recipe ({args.threads} processes x 1 thread)\n")
        print("| L | p | optimum | t to 0.2% dev gap (s) | same, vs optimum value (s) | dev gap % | test gap % "
              "| test gap (crn) % | train time (s) | steps |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for r in results["cells"]:
            print(f"| {r['L']} | {r['p']:g} | {r['optimum']:.4f} | {fmt(r['time_to_target_s'])} | "
                  f"{fmt(r['time_to_target_value_s'])} | {r['dev_gap_pct']:.3f} | {r['test_gap_pct']:.3f} | "
                  f"{r['test_gap_crn_pct']:.3f} | {r['train_time_s']:.1f} | {r['steps']} |")
        gaps = [r["test_gap_pct"] for r in results["cells"]]
        times = [r["time_to_target_s"] for r in results["cells"]]
        print(f"\nmean test gap {sum(gaps) / len(gaps):.3f}%, max {max(gaps):.3f}%; "
              f"max time to target {max(times):.1f}s; all cells {results['cells_wall_s']:.0f}s wall\n")
    print("## Simulator throughput (lost sales L=2, default MLP, 1 thread, sample-periods/s)\n")
    print("| batch | periods | forward (no grad) | forward + backward |")
    print("|---|---|---|---|")
    for r in results["throughput"]:
        print(f"| {r['batch']} | {r['periods']} | {r['forward_sp_per_s'] / 1e6:.2f} M | "
              f"{r['forward_backward_sp_per_s'] / 1e6:.2f} M |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1, default=str)


if __name__ == "__main__":
    main()
