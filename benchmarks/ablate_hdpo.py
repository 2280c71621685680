"""Ablations of the HDPO recipe on the one-location lost-sales cells (issue 18).

    python benchmarks/ablate_hdpo.py --cells 2,4 --variant default
    python benchmarks/ablate_hdpo.py --cells 2,4 1,4 --variant default T60 --json /tmp/ablate/runs.jsonl
    python benchmarks/ablate_hdpo.py --list

Each (cell, variant) trains the recipe these ablations started from (``HDPOConfig()``
with straight-through rounding on, the default until they showed it stalls; the
current default is the ``noST`` variant), ``MLPConfig()``, train 8192 x
(20 + 10 + L), dev 4096 x (300 + 50 + L), test 16384 x (800 + 200 + L)) with
the variant's overrides (``VARIANTS`` below: HDPOConfig fields, MLPConfig
fields, and the train split's (N, T, W)), on one torch thread, and prints one
line:

- ``test``: test gap to the DP optimum's value (%); ``crn``: test gap to the
  DP policy run on the same test paths (%), free of the test set's luck;
- ``dev``: the selected policy's dev gap to the DP policy on the same dev paths;
- ``obj``: the *training objective* gap (the cost in the train window, after
  the train warm-up) of the learned policy to the DP policy, on 65,536 fresh
  train-shaped paths with common random numbers. A negative value means the
  learned policy beats the optimal policy on the objective it was trained on,
  i.e. the objective itself (not the optimiser) points away from the optimum;
- ``miss``/``bias``: share of dev periods (after warm-up, on the learned
  policy's own states) whose rounded order differs from the DP order, and the
  mean signed difference (units; > 0: orders more than DP);
- steps, best step and training wall seconds (dev evaluations included;
  indicative only on a shared machine).

The DP policy's costs on the fixed dev/test/probe sets are cached in a JSON
file (``--ref-cache``; '' disables) since they do not depend on the variant.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tune_hdpo import OptimalPolicy, build, optimum, reference_cost, split  # noqa: E402

from invrl.demand.synthetic import sample_demand  # noqa: E402
from invrl.policies.mlp import MLPConfig, MLPPolicy  # noqa: E402
from invrl.rollout import rollout  # noqa: E402
from invrl.train.hdpo import HDPOConfig, train_hdpo  # noqa: E402

SIZES = {"train": (8192, 20, 10), "dev": (4096, 300, 50), "test": (16384, 800, 200)}
PROBE = 65536  # fresh train-shaped paths on which the training objective is compared with the DP policy

# name -> {"hdpo": HDPOConfig overrides, "mlp": MLPConfig overrides, "train": (N, T, W)}
VARIANTS: dict[str, dict] = {
    "default": {},
    # training path length / warm-up
    "T40": {"train": (8192, 40, 10)},
    "T60": {"train": (8192, 60, 10)},
    "T100": {"train": (8192, 100, 10)},
    "W30": {"train": (8192, 20, 30)},
    "T40W30": {"train": (8192, 40, 30)},
    # step-size schedule
    "cosine": {"hdpo": {"lr_schedule": "cosine"}},
    "cosine2400": {"hdpo": {"lr_schedule": "cosine", "max_steps": 2400}},
    "decays5": {"hdpo": {"max_decays": 5}},
    "lr1e-2": {"hdpo": {"learning_rate": 1e-2}},
    "steps2400": {"hdpo": {"max_steps": 2400}},
    "patience10": {"hdpo": {"decay_patience": 10}},
    # batch size
    "bs4096": {"hdpo": {"batch_size": 4096}},
    "bs8192": {"hdpo": {"batch_size": 8192}},
    # EMA
    "ema0": {"hdpo": {"ema_decay": 0.0}},
    "ema099": {"hdpo": {"ema_decay": 0.99}},
    "ema0999": {"hdpo": {"ema_decay": 0.999}},
    # straight-through rounding off (evaluation still rounds)
    "noST": {"hdpo": {"straight_through_rounding": False}},
    # more training data (same path length)
    "N32k": {"train": (32768, 20, 10)},
    # combinations (filled in as the single ablations point somewhere)
    "T60bs4096": {"train": (8192, 60, 10), "hdpo": {"batch_size": 4096}},
    "T60N32k": {"train": (32768, 60, 10)},
    "T100N32k": {"train": (32768, 100, 10)},
    "T60decays5": {"train": (8192, 60, 10), "hdpo": {"max_decays": 5}},
    "noST_T60": {"train": (8192, 60, 10), "hdpo": {"straight_through_rounding": False}},
    "noST_d1": {"hdpo": {"straight_through_rounding": False, "max_decays": 1}},
    "noST_ema099": {"hdpo": {"straight_through_rounding": False, "ema_decay": 0.99}},
    "noST_bs4096": {"hdpo": {"straight_through_rounding": False, "batch_size": 4096}},
    "noST_2400": {"hdpo": {"straight_through_rounding": False, "max_steps": 2400, "max_decays": 5}},
}


def _cache_load(path: str) -> dict:
    if path and os.path.exists(path):
        with open(path) as f:
            return json.load(f)
    return {}


def _cache_save(path: str, cache: dict) -> None:
    if path:
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(cache, f, indent=0)
        os.replace(tmp, path)


class _Compare(torch.nn.Module):
    """Runs ``policy`` and records how its rounded orders differ from the DP policy's on its own states."""

    def __init__(self, policy, dp, start: int):
        super().__init__()
        self.policy, self.dp, self.start, self.t = policy, dp, start, 0
        self.n = self.miss = 0
        self.diff = 0.0

    def forward(self, obs):
        action = self.policy(obs)
        if self.t >= self.start:
            diff = torch.round(action[:, 0]) - self.dp(obs)[:, 0]
            self.n += diff.numel()
            self.miss += int((diff != 0).sum())
            self.diff += float(diff.sum())
        self.t += 1
        return action


def run(L: int, p: float, name: str, args, cache: dict) -> dict:
    variant = VARIANTS[name]
    system, law = build(False, L, p)
    opt = optimum(False, L, p)
    n, t, w = variant.get("train", SIZES["train"])
    train, train_w = split(law, "train", n, t, w, L, args.data_seed)
    dev, dev_w = split(law, "dev", *SIZES["dev"], L, args.data_seed)
    test, test_w = split(law, "test", *SIZES["test"], L, args.data_seed)
    # fresh paths of the train split's shape (own stream), for the objective comparison
    probe = sample_demand(law[0], PROBE, t + w + L, seed=args.data_seed * 1000 + 17, **law[1])

    def ref(tag, data, warm):
        key = f"L{L}-p{p:g}-{tag}-{tuple(data.demand.shape)}-w{warm}-ds{args.data_seed}"
        if key not in cache:
            cache[key] = reference_cost(False, L, p, system, data, warm)
            _cache_save(args.ref_cache, cache)
        return cache[key]

    dev_ref, test_ref, probe_ref = ref("dev", dev, dev_w), ref("test", test, test_w), ref("probe", probe, train_w)

    hdpo = {"straight_through_rounding": True} | variant.get("hdpo", {}) | json.loads(args.hdpo)
    config = HDPOConfig(**hdpo)
    net = MLPConfig(**variant.get("mlp", {}))
    torch.manual_seed(args.seed)
    policy = MLPPolicy(MLPPolicy.n_inputs(system.max_lead_time), net)
    result = train_hdpo(system, policy, train, dev, config=config, warmup=train_w, dev_warmup=dev_w, seed=args.seed,
                        round_actions=True, optimum=opt, progress=False)
    pol = result.policy
    with torch.no_grad():
        test_cost = float(rollout(system, pol, test, round_actions=True).mean_cost(test_w))
        probe_cost = float(rollout(system, pol, probe, round_actions=True).mean_cost(train_w))
        cmp = _Compare(pol, OptimalPolicy(False, L, p), dev_w)
        rollout(system, cmp, dev, round_actions=True)
    out = {
        "cell": f"L{L}-p{p:g}", "variant": name, "opt": round(opt, 5),
        "test_gap": round(100 * (test_cost / opt - 1), 4), "test_gap_crn": round(100 * (test_cost / test_ref - 1), 4),
        "dp_test_gap": round(100 * (test_ref / opt - 1), 4),
        "dev_gap_crn": round(100 * (result.best_dev_cost / dev_ref - 1), 4),
        "obj_gap_crn": round(100 * (probe_cost / probe_ref - 1), 4),
        "miss": round(cmp.miss / max(cmp.n, 1), 4), "bias": round(cmp.diff / max(cmp.n, 1), 4),
        "steps": result.steps, "best_step": result.best_step, "train_s": round(result.wall_time_s, 1),
        "config": {"hdpo": hdpo, "mlp": variant.get("mlp", {}), "train": [n, t, w]},
    }
    if args.curve:
        out["curve"] = [(s, round(100 * (c / dev_ref - 1), 3))
                        for s, c in zip(result.curve["step"], result.curve["dev_cost"])]
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cells", nargs="+", default=["2,4"], help="L,p pairs")
    ap.add_argument("--variant", nargs="+", default=["default"], help=f"names in VARIANTS: {', '.join(VARIANTS)}")
    ap.add_argument("--hdpo", default="{}", help="extra HDPOConfig overrides (JSON), applied after the variant's")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--data-seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--curve", action="store_true", help="add the dev-gap curve to the JSON record")
    ap.add_argument("--json", help="append one JSON record per run to this file (JSON lines)")
    ap.add_argument("--ref-cache", default=os.path.join(tempfile.gettempdir(), "invrl_ablate_dp_ref.json"),
                    help="cache of the DP policy's costs on the fixed splits ('' disables)")
    ap.add_argument("--list", action="store_true", help="list the variants and exit")
    args = ap.parse_args()
    if args.list:
        for k, v in VARIANTS.items():
            print(f"{k:12s} {v}")
        return
    unknown = [v for v in args.variant if v not in VARIANTS]
    if unknown:
        ap.error(f"unknown variant(s) {unknown}; known: {', '.join(VARIANTS)}")
    torch.set_num_threads(args.threads)
    cache = _cache_load(args.ref_cache)
    for cell in args.cells:
        L, p = cell.split(",")
        for name in args.variant:
            start = time.perf_counter()
            r = run(int(L), float(p), name, args, cache)
            print(f"{r['cell']:8s} {name:12s} test {r['test_gap']:7.3f}%  crn {r['test_gap_crn']:7.3f}%  "
                  f"dev {r['dev_gap_crn']:7.3f}%  obj {r['obj_gap_crn']:7.3f}%  miss {r['miss']:.3f} "
                  f"bias {r['bias']:+.3f}  steps {r['steps']:5d} (best {r['best_step']:5d})  "
                  f"train {r['train_s']:6.1f}s  [total {time.perf_counter() - start:.0f}s]", flush=True)
            if args.json:
                os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
                with open(args.json, "a") as f:
                    f.write(json.dumps(r) + "\n")


if __name__ == "__main__":
    main()
