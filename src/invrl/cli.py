"""``python -m invrl``: the entry points used by the Snakemake rules and by people.

    python -m invrl exact lost_sales --mean 5 --lead-time 1 --p 4 --h 1
    python -m invrl exact backlog --mean 5 --std 1.6 --lead-time 4 --p 9
    python -m invrl train lost_sales hdpo_mlp --seed 0 --scale default --set lead_time=2 --out run.nc
    python -m invrl optimum lost_sales --set lead_time=2 --out optimum.json
    python -m invrl optimum serial --set lead_time=3 --set shortage_cost=9      # Clark-Scarf
    python -m invrl train one_warehouse hdpo_gnn --experiment one_warehouse --scale smoke --set n_stores=10
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from invrl.config import ConfigError, experiment_sizes, load_config, load_setting, parse_assignments, scale_sizes


def _exact(args) -> int:
    from invrl.exact import backlog_optimum_truncated_normal, lost_sales_optimum

    if args.system == "lost_sales":
        result = lost_sales_optimum(mean=args.mean, lead_time=args.lead_time, shortage_cost=args.p, holding_cost=args.h)
        print(f"{result.cost:.4f}")
    else:
        if args.std is None:
            raise ConfigError("exact backlog needs --std (normal demand truncated at zero)")
        result = backlog_optimum_truncated_normal(args.mean, args.std, args.lead_time, args.p, args.h)
        print(f"{result.cost:.4f}  (base-stock level {result.level:.3f})")
    return 0


def optimum_of_setting(setting: dict) -> dict | None:
    from invrl.exact import optimum_for

    return optimum_for(setting)


def _optimum(args) -> int:
    setting = load_setting(args.setting, parse_assignments(args.set))
    result = optimum_of_setting(setting)
    text = json.dumps({"setting": setting, "optimum": result}, indent=2)
    if args.out:
        from invrl.io import write_text

        write_text(args.out, text + "\n")
    else:
        print(text)
    return 0


def _train(args) -> int:
    from invrl.evaluate import write_netcdf
    from invrl.runs import fit_and_evaluate_heuristics, train_and_evaluate

    config = load_config(args.config)
    if args.policy not in config["policies"]:
        raise ConfigError(f"unknown policy {args.policy!r}; config defines {sorted(config['policies'])}")
    policy_config = config["policies"][args.policy]
    if args.experiment and args.experiment not in config["experiments"]:
        raise ConfigError(f"unknown experiment {args.experiment!r}; config defines {sorted(config['experiments'])}")
    sizes = experiment_sizes(config, args.experiment, args.scale, args.policy) if args.experiment else scale_sizes(config, args.scale)
    overrides = parse_assignments(args.set)
    setting = load_setting(args.setting, overrides)
    reference = {}
    if args.optimum:
        reference = json.loads(Path(args.optimum).read_text()).get("optimum") or {}
    elif not args.no_optimum:
        reference = optimum_of_setting(setting) or {}
    optimum = reference.get("optimal_cost")
    common = dict(setting_name=args.setting, overrides=overrides, sizes=sizes, data_seed=args.data_seed,
                  optimum=optimum, lower_bound=reference.get("lower_bound"),
                  device=args.device or config.get("device", "auto"), threads=args.threads)
    if policy_config["method"] == "heuristic":
        ds = fit_and_evaluate_heuristics(heuristics=[args.policy], **common)
    else:
        ds = train_and_evaluate(policy_name=args.policy, policy_config=policy_config, seed=args.seed,
                                checkpoint=Path(args.checkpoint) if args.checkpoint else None, **common)
    run = ds.isel(instance=0, seed=0, train_size=0)
    for policy in ds.policy.values:
        one = run.sel(policy=policy)
        gap = f", gap {float(one['gap']):.2f}%" if optimum else ""
        if "gap_to_bound" in one:
            gap += f", gap to lower bound {float(one['gap_to_bound']):.2f}%"
        print(f"{policy}: test cost {float(one['cost']):.4f} ± {float(one['cost_se']):.4f}{gap}")
    if args.out:
        write_netcdf(ds, args.out)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="invrl", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    sub = parser.add_subparsers(dest="command", required=True)

    exact = sub.add_parser("exact", help="optimal long-run average cost of a single-location system (networks: `optimum`)")
    exact.add_argument("system", choices=["lost_sales", "backlog"])
    exact.add_argument("--mean", type=float, default=5.0, help="mean demand per period")
    exact.add_argument("--std", type=float, default=None, help="standard deviation (backlog, normal demand)")
    exact.add_argument("--lead-time", type=int, required=True)
    exact.add_argument("--p", type=float, required=True, help="shortage cost per unit")
    exact.add_argument("--h", type=float, default=1.0, help="holding cost per unit per period")
    exact.set_defaults(func=_exact)

    opt = sub.add_parser("optimum", help="the exact optimum of a setting (JSON), or null where none is known")
    opt.add_argument("setting", help="a name in config/settings or a YAML path")
    opt.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a setting value")
    opt.add_argument("--out", help="write JSON here instead of printing")
    opt.set_defaults(func=_optimum)

    train = sub.add_parser("train", help="train (or fit) one policy on one setting and evaluate it on test")
    train.add_argument("setting", help="a name in config/settings or a YAML path")
    train.add_argument("policy", help="a policy name from config.yaml's `policies`")
    train.add_argument("--seed", type=int, default=0, help="training seed")
    train.add_argument("--data-seed", type=int, default=1, help="seed of the synthetic demand")
    train.add_argument("--scale", default="default", help="smoke, default or paper")
    train.add_argument("--experiment", default=None, help="take sizes from this experiment's per-scale overrides")
    train.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a setting value (dotted keys nest)")
    train.add_argument("--config", default=None, help="experiment config (default config/config.yaml)")
    train.add_argument("--optimum", default=None, help="JSON from `invrl optimum` (else computed)")
    train.add_argument("--no-optimum", action="store_true", help="skip computing the optimum")
    train.add_argument("--checkpoint", default=None, help="checkpoint file: resume from it, save to it")
    train.add_argument("--device", default=None, help="auto, cpu or cuda (default from config)")
    train.add_argument("--threads", type=int, default=1, help="torch threads")
    train.add_argument("--out", default=None, help="write the run's netCDF here")
    train.set_defaults(func=_train)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        sys.exit(args.func(args))
    except ConfigError as error:
        print(f"invrl: configuration error: {error}", file=sys.stderr)
        sys.exit(2)
