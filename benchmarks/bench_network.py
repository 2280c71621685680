"""Throughput and peak memory of the network simulator driven by the GNN policy.

    python benchmarks/bench_network.py                       # N = 10, 50, 200 stores, 2 threads
    python benchmarks/bench_network.py --stores 10 50 --out bench_network.json

One warehouse with N stores (lost sales, store parameters drawn from the usual
ranges, correlated normal demand), batch 1024, 50 periods, the default
``GNNConfig()``. For every N it measures, in sample-periods per second
(batch x periods / wall seconds, best of ``--repeats``, fewer for large N):

- ``forward``: a rollout under ``torch.no_grad()``;
- ``fwd+bwd``: a rollout with gradients and ``mean_cost(10).backward()``,
  every activation stored (skipped when the estimated memory exceeds
  ``--max-gb``: it grows like batch x periods x edges);
- ``fwd+bwd recompute``: the same with ``GNNConfig(recompute=True)``, which
  stores only each period's features and recomputes the GNN in the backward
  pass (``torch.utils.checkpoint``).

Every case runs in a fresh Python subprocess, so its peak memory is that
process's own high-water resident set, ``resource.getrusage(RUSAGE_SELF).ru_maxrss``
(tracemalloc does not see torch's allocations, and torch exposes no CPU
allocator statistics). The table shows that peak and the increase over the
process's resident set just before the timed runs (imports, network, demand
and policy built), which is what the rollout itself needed as far as glibc's
allocator lets it show (it varies from run to run). For the backward modes it
also shows the exact bytes autograd keeps for the backward pass over the whole
rollout, counted with ``torch.autograd.graph.saved_tensors_hooks``.

The timings include whatever else runs on the machine: say so when reporting.
Children run with ``OMP_WAIT_POLICY=PASSIVE`` unless the variable is already set
(``--omp-wait-policy ''`` leaves it unset): on a 2-core machine shared with
other jobs, OpenMP threads that spin while waiting made 2-thread rollouts with
gradients about 15x slower than 1-thread ones; passive waiting removes that.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time

MODES = ("forward", "fwd+bwd", "fwd+bwd recompute")
STORES = {"lead_time": [2, 3], "holding_cost": [0.7, 1.3], "shortage_cost": [6, 10], "demand_mean": [2.5, 7.5], "demand_cv": [0.16, 0.32]}
WARMUP = 10
STORED_BYTES_PER_EDGE_PERIOD = 2600
"""Autograd memory of the default GNN per sample, edge and period (float32, hidden 16: about
40 stored activations of width 16 per edge; measured 2.6 kB at N = 10 and 50); the ``--max-gb`` guard."""


def setting(n_stores: int) -> dict:
    return {
        "system": "one_warehouse", "n_stores": n_stores, "warehouse_lead_time": 4, "warehouse_holding_cost": 0.3,
        "stores": STORES, "demand": {"distribution": "normal", "correlation": 0.5}, "lost_sales": True,
    }


def max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # kilobytes on Linux


def current_rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def run_case(n_stores: int, mode: str, batch: int, periods: int, repeats: int, threads: int) -> dict:
    """One measurement in this (fresh) process."""
    import torch

    from invrl.demand.synthetic import sample_demand
    from invrl.policies.gnn import GNNConfig, GNNPolicy
    from invrl.rollout import rollout
    from invrl.systems.topologies import build_network, store_demand_law

    torch.set_num_threads(threads)
    s = setting(n_stores)
    net = build_network(s)
    law = store_demand_law(s)
    distribution = law.pop("distribution")
    demand = sample_demand(distribution, batch, periods, 0, **law)
    warm = sample_demand(distribution, batch, 3, 1, **law)
    torch.manual_seed(0)
    policy = GNNPolicy(net, GNNConfig(recompute=mode == "fwd+bwd recompute"))

    def once(data, warmup):
        if mode == "forward":
            with torch.no_grad():
                rollout(net, policy, data)
        else:
            policy.zero_grad(set_to_none=True)
            rollout(net, policy, data).mean_cost(warmup).backward()

    saved: dict[int, int] = {}

    def pack(t):  # every tensor autograd keeps for the backward pass, once per storage
        storage = t.untyped_storage()
        saved[storage.data_ptr()] = max(saved.get(storage.data_ptr(), 0), storage.nbytes())
        return t

    once(warm, 0)  # first-call overheads, on 3 periods
    baseline = current_rss_mb()
    times = []
    for k in range(repeats):
        start = time.perf_counter()
        if k == 0 and mode != "forward":
            with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
                once(demand, WARMUP)
        else:
            once(demand, WARMUP)
        times.append(time.perf_counter() - start)
    best = min(times)
    return {
        "n_stores": n_stores, "edges": net.n_edges, "mode": mode, "batch": batch, "periods": periods, "threads": threads,
        "repeats": repeats, "seconds": best, "sample_periods_per_s": batch * periods / best,
        "peak_rss_mb": max_rss_mb(), "baseline_rss_mb": baseline, "autograd_saved_mb": sum(saved.values()) / 2**20,
        "parameters": sum(p.numel() for p in policy.parameters()),
    }


def fmt(x: float) -> str:
    return f"{x:,.0f}" if x >= 100 else f"{x:.3g}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stores", type=int, nargs="+", default=[10, 50, 200], help="numbers of stores N")
    ap.add_argument("--batch", type=int, default=1024)
    ap.add_argument("--periods", type=int, default=50)
    ap.add_argument("--threads", type=int, default=2, help="torch threads of each case")
    ap.add_argument("--repeats", type=int, default=3, help="timed runs per case (1 for N >= 200, 2 for N >= 50)")
    ap.add_argument("--modes", nargs="+", default=list(MODES), choices=MODES)
    ap.add_argument("--max-gb", type=float, default=12.0, help="skip stored-activation backward above this estimate")
    ap.add_argument("--omp-wait-policy", default="PASSIVE", help="OMP_WAIT_POLICY of the cases unless already set ('' leaves it unset)")
    ap.add_argument("--out", help="also write the results here as JSON")
    ap.add_argument("--case", nargs=2, metavar=("N", "MODE"), help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.case:  # child process: one case, JSON on stdout
        n, mode = int(args.case[0]), args.case[1]
        print(json.dumps(run_case(n, mode, args.batch, args.periods, args.repeats, args.threads)))
        return

    rows = []
    for n in args.stores:
        repeats = 1 if n >= 200 else min(args.repeats, 2) if n >= 50 else args.repeats
        for mode in args.modes:
            estimate_gb = args.batch * args.periods * (n + 1) * STORED_BYTES_PER_EDGE_PERIOD / 2**30
            if mode == "fwd+bwd" and estimate_gb > args.max_gb:
                rows.append({"n_stores": n, "mode": mode, "skipped": f"estimated {estimate_gb:.0f} GB > --max-gb {args.max_gb:g}"})
                print(f"N={n} {mode}: skipped (estimated {estimate_gb:.0f} GB)", file=sys.stderr, flush=True)
                continue
            command = [sys.executable, os.path.abspath(__file__), "--case", str(n), mode, "--batch", str(args.batch),
                       "--periods", str(args.periods), "--threads", str(args.threads), "--repeats", str(repeats)]
            env = dict(os.environ)
            if args.omp_wait_policy and "OMP_WAIT_POLICY" not in env:
                env["OMP_WAIT_POLICY"] = args.omp_wait_policy
            done = subprocess.run(command, capture_output=True, text=True, env=env)
            if done.returncode != 0:
                rows.append({"n_stores": n, "mode": mode, "skipped": f"failed (exit {done.returncode}): {done.stderr.strip()[-300:]}"})
            else:
                rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
            print(f"N={n} {mode}: done", file=sys.stderr, flush=True)

    print(f"\n## Network simulator + GNN policy: one warehouse, batch {args.batch}, {args.periods} periods, "
          f"{args.threads} threads, sample-periods/s (best of the repeats)\n")
    print("| N stores | mode | repeats | seconds | sample-periods/s | peak RSS (MB) | rollout RSS (MB) | autograd saved (MB) |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        if "skipped" in r:
            print(f"| {r['n_stores']} | {r['mode']} | - | - | {r['skipped']} | - | - | - |")
        else:
            saved = f"{r['autograd_saved_mb']:,.0f}" if r["mode"] != "forward" else "-"
            print(f"| {r['n_stores']} | {r['mode']} | {r['repeats']} | {r['seconds']:.2f} | {fmt(r['sample_periods_per_s'])} "
                  f"| {r['peak_rss_mb']:,.0f} | {r['peak_rss_mb'] - r['baseline_rss_mb']:,.0f} | {saved} |")
    print("\nPeak RSS: ru_maxrss of the case's own fresh process; rollout RSS: peak minus the resident set before the\n"
          "timed runs (glibc's allocator decides how much freed memory it keeps, so this varies from run to run);\n"
          "autograd saved: the tensors autograd keeps across the whole rollout for the backward pass, counted exactly\n"
          "with torch.autograd.graph.saved_tensors_hooks in the first repeat (recomputed activations are not included).")
    if args.out:
        import torch

        meta = {"python": platform.python_version(), "torch": torch.__version__, "cpu_count": os.cpu_count(),
                "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", args.omp_wait_policy or None),
                "load_average": os.getloadavg(), "memory_measure": "resource.getrusage(RUSAGE_SELF).ru_maxrss per fresh subprocess"}
        with open(args.out, "w") as f:
            json.dump({"meta": meta, "results": rows}, f, indent=2)


if __name__ == "__main__":
    main()
