"""Sweep helper for the HDPO recipe: train cells with a given config and report test gaps.

    python benchmarks/tune_hdpo.py --cells 2,4 1,39 --hdpo '{"learning_rate": 3e-3}' --mlp '{"hidden": [32, 32]}'
    python benchmarks/tune_hdpo.py --backlog --cells 20,39

Prints one JSON line per cell (test gap vs the exact optimum, and vs the optimal
policy run on the same test paths ("crn"), time to a 0.2% dev gap measured
against the optimal policy on the same dev paths, train time, steps). Selection is on dev; the test split is only
reported. Runs on one thread by default.
"""

from __future__ import annotations

import argparse
import json
import math
import time

import torch

from invrl.demand.synthetic import sample_split, truncated_normal_moments
from invrl.policies.mlp import MLPConfig, MLPPolicy
from invrl.rollout import rollout
from invrl.systems.single_location import SingleLocation
from invrl.train.hdpo import HDPOConfig, train_hdpo

MEAN, STD = 5.0, 1.6


def optimum(backlog: bool, L: int, p: float) -> float:
    if backlog:
        try:
            from invrl.exact.backlog import backlog_optimum_truncated_normal

            return backlog_optimum_truncated_normal(MEAN, STD, L, p, 1.0).cost
        except Exception:  # noqa: BLE001  (closed form as fallback)
            from statistics import NormalDist

            n = NormalDist()
            return (p + 1) * STD * math.sqrt(L + 1) * n.pdf(n.inv_cdf(p / (p + 1)))
    from invrl.exact.lost_sales_dp import lost_sales_optimum

    return lost_sales_optimum(mean=MEAN, lead_time=L, shortage_cost=p, holding_cost=1.0).cost


class OptimalPolicy(torch.nn.Module):
    """The exact optimal policy (lost-sales DP table, or base stock for backlog), to cost the
    dev/test sets with common random numbers: a gap to it is free of the sets' sampling luck."""

    def __init__(self, backlog: bool, L: int, p: float):
        super().__init__()
        self.backlog = backlog
        if backlog:
            from invrl.exact.backlog import backlog_optimum_truncated_normal

            self.level = backlog_optimum_truncated_normal(MEAN, STD, L, p, 1.0).level
        else:
            from invrl.exact.lost_sales_dp import lost_sales_optimum

            self.table = lost_sales_optimum(mean=MEAN, lead_time=L, shortage_cost=p, holding_cost=1.0)

    def forward(self, obs):
        state = obs.state
        if self.backlog:
            return (self.level - state.on_hand - state.pipeline.sum(-1)).clamp_min(0.0)
        orders = self.table.order(state.on_hand[:, 0].numpy(), state.pipeline[:, 0].numpy())
        return torch.as_tensor(orders, dtype=torch.float32)[:, None]


def reference_cost(backlog, L, p, system, data, warmup) -> float:
    """Cost of the optimal policy on ``data`` (common random numbers)."""
    with torch.no_grad():
        return float(rollout(system, OptimalPolicy(backlog, L, p), data, round_actions=not backlog).mean_cost(warmup))


def build(backlog: bool, L: int, p: float):
    if backlog:
        mean = truncated_normal_moments(MEAN, STD)[0]
        system = SingleLocation(lead_time=L, holding_cost=1.0, shortage_cost=p, lost_sales=False, demand_mean=mean)
        law = ("normal", {"mean": MEAN, "std": STD})
    else:
        system = SingleLocation(lead_time=L, holding_cost=1.0, shortage_cost=p, lost_sales=True, demand_mean=MEAN)
        law = ("poisson", {"mean": MEAN})
    return system, law


def split(law, name, samples, periods, warmup, L, data_seed):
    """Horizons grow with the lead time as in ``invrl.instance.horizons``."""
    data = sample_split(law[0], name, samples, periods + warmup + L, data_seed, **law[1])
    return data, warmup + L


def run_cell(args, L: int, p: float) -> dict:
    backlog = args.backlog
    system, law = build(backlog, L, p)
    opt = optimum(backlog, L, p)
    n, t, w = args.train
    train, train_w = split(law, "train", n, t, w, L, args.data_seed)
    dev, dev_w = split(law, "dev", *args.dev, L, args.data_seed)
    dev_ref = reference_cost(backlog, L, p, system, dev, dev_w)
    hdpo = json.loads(args.hdpo)
    config = HDPOConfig(**hdpo, target_dev_cost=dev_ref * (1 + args.target / 100))
    mlp = json.loads(args.mlp)
    net = MLPConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in mlp.items()})
    torch.manual_seed(args.seed)
    policy = MLPPolicy(MLPPolicy.n_inputs(system.max_lead_time), net)
    rnd = not backlog
    result = train_hdpo(system, policy, train, dev, config=config, warmup=train_w, dev_warmup=dev_w, seed=args.seed,
                        round_actions=rnd, optimum=opt, progress=False)
    out = {
        "L": L, "p": p, "backlog": backlog, "opt": round(opt, 5),
        "dev_gap": round(100 * (result.best_dev_cost / opt - 1), 3),
        "dev_gap_crn": round(100 * (result.best_dev_cost / dev_ref - 1), 3),
        "t_target": round(result.time_to_target_s, 1), "train_s": round(result.wall_time_s, 1),
        "steps": result.steps, "best_step": result.best_step,
    }
    if not args.no_test:
        test, test_w = split(law, "test", *args.test, L, args.data_seed)
        start = time.perf_counter()
        with torch.no_grad():
            cost = float(rollout(system, result.policy, test, round_actions=rnd).mean_cost(test_w))
        test_s = round(time.perf_counter() - start, 1)
        test_ref = reference_cost(backlog, L, p, system, test, test_w)
        out |= {"test_gap": round(100 * (cost / opt - 1), 3), "test_gap_crn": round(100 * (cost / test_ref - 1), 3),
                "test_s": test_s}
    if args.curve:
        out["curve"] = [(s, round(wt, 1), round(100 * (c / dev_ref - 1), 3))
                        for s, wt, c in zip(result.curve["step"], result.curve["wall_time_s"], result.curve["dev_cost"])]
    out["tag"] = args.tag
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cells", nargs="+", default=["2,4"], help="L,p pairs")
    ap.add_argument("--backlog", action="store_true")
    ap.add_argument("--hdpo", default="{}", help="HDPOConfig overrides (JSON)")
    ap.add_argument("--mlp", default="{}", help="MLPConfig overrides (JSON)")
    ap.add_argument("--train", type=int, nargs=3, default=[8192, 20, 10], metavar=("N", "T", "W"))
    ap.add_argument("--dev", type=int, nargs=3, default=[4096, 300, 50], metavar=("N", "T", "W"))
    ap.add_argument("--test", type=int, nargs=3, default=[16384, 800, 200], metavar=("N", "T", "W"))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--data-seed", type=int, default=1)
    ap.add_argument("--target", type=float, default=0.2, help="dev gap (%%) whose first hit is timed")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--no-test", action="store_true")
    ap.add_argument("--curve", action="store_true")
    ap.add_argument("--tag", default="")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    for cell in args.cells:
        L, p = cell.split(",")
        print(json.dumps(run_cell(args, int(L), float(p))), flush=True)


if __name__ == "__main__":
    main()
