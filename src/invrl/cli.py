"""``python -m invrl``: the entry points used by the Snakemake rules and by people.

    python -m invrl exact lost_sales --mean 5 --lead-time 1 --p 4 --h 1
    python -m invrl exact backlog --mean 5 --std 1.6 --lead-time 4 --p 9
    python -m invrl train lost_sales hdpo_mlp --seed 0 --scale default --set lead_time=2 --out runs/L2.nc
    python -m invrl optimum lost_sales --set lead_time=2 --out optimum.json
    python -m invrl optimum serial --set lead_time=3 --set shortage_cost=9      # Clark-Scarf
    python -m invrl train one_warehouse hdpo_gnn --experiment one_warehouse --scale smoke --set n_stores=10

Every error a user can fix (a bad key, value, argument or file) is one line
on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

from invrl.config import load_config, parse_assignments, run_sizes, settings_dir
from invrl.errors import ConfigError, InvrlError


def _exact(args) -> int:
    from invrl.exact import backlog_optimum_truncated_normal, lost_sales_optimum

    if not args.mean > 0:
        raise ConfigError(f"--mean must be > 0, got {args.mean}")
    if args.system == "lost_sales":
        result = lost_sales_optimum(mean=args.mean, lead_time=args.lead_time, shortage_cost=args.p, holding_cost=args.h)
        print(f"{result.cost:.4f}")
    else:
        if args.std is None:
            raise ConfigError("exact backlog needs --std (normal demand truncated at zero)")
        result = backlog_optimum_truncated_normal(args.mean, args.std, args.lead_time, args.p, args.h)
        print(f"{result.cost:.4f}  (base-stock level {result.level:.3f})")
    return 0


def _settings(args) -> Path:
    return settings_dir(args.config) if getattr(args, "config", None) else settings_dir()


def _optimum(args) -> int:
    from invrl.families import optimum_of
    from invrl.settings import load_setting

    setting = load_setting(args.setting, parse_assignments(args.set), _settings(args))
    text = json.dumps({"setting": setting, "optimum": optimum_of(setting)}, indent=2)
    if args.out:
        from invrl.io import write_text

        check_output_path(args.out)
        write_text(args.out, text + "\n")
    else:
        print(text)
    return 0


def check_output_path(out: str | Path) -> Path:
    """Fail before any work when ``out`` cannot be written: a directory, a path under a file, no permission."""
    path = Path(out)
    if path.is_dir():
        raise ConfigError(f"--out {out}: is a directory; give a file name such as {path / 'run.nc'}")
    parent = path.parent if str(path.parent) else Path(".")
    for ancestor in [parent, *parent.parents]:
        if ancestor.exists():
            if not ancestor.is_dir():
                raise ConfigError(f"--out {out}: {ancestor} is a file, not a directory")
            if not os.access(ancestor, os.W_OK | os.X_OK):
                raise ConfigError(f"--out {out}: no permission to write in {ancestor}")
            break
    return path


def _train(args) -> int:
    from invrl.checks import check_policies, check_scales
    from invrl.evaluate import write_netcdf
    from invrl.families import optimum_of
    from invrl.registry import load_plugins
    from invrl.runs import run
    from invrl.settings import load_setting
    from invrl.spec import RunSpec
    from invrl.train.method import TRAINING_METHODS

    config = load_config(args.config)
    load_plugins(config["plugins"], Path(args.config).resolve().parents[1] if args.config else None)
    check_policies(config)
    check_scales(config)
    if args.policy not in config["policies"]:
        raise ConfigError(f"unknown policy {args.policy!r}; config defines {sorted(config['policies'])}")
    if args.experiment and args.experiment not in config["experiments"]:
        raise ConfigError(f"unknown experiment {args.experiment!r}; config defines {sorted(config['experiments'])}")
    out = check_output_path(args.out) if args.out else None
    policy_config = config["policies"][args.policy]
    learned = TRAINING_METHODS[policy_config["method"]].learned
    sizes = run_sizes(config, args.experiment, args.scale, args.policy, learned)
    overrides = parse_assignments(args.set)
    settings = _settings(args)
    setting = load_setting(args.setting, overrides, settings)
    reference = {}
    if args.optimum:
        reference = json.loads(Path(args.optimum).read_text()).get("optimum") or {}
    elif not args.no_optimum:
        reference = optimum_of(setting) or {}
    spec = RunSpec(
        setting=args.setting, policy=args.policy, policy_config=policy_config, sizes=sizes, overrides=overrides,
        seed=args.seed, data_seed=args.data_seed, experiment=args.experiment or "adhoc", scale=args.scale,
        reference=reference, device=args.device or config["device"], threads=args.threads, settings_dir=str(settings),
        plugins=tuple(config["plugins"]),
    )
    checkpoint = None
    if learned and not args.no_checkpoint:
        checkpoint = Path(args.checkpoint) if args.checkpoint else (out.with_suffix(".ckpt.pt") if out else None)
    ds = run(spec, checkpoint=checkpoint, strict_resume=args.strict_resume)
    one = ds.isel(instance=0, seed=0, train_size=0, policy=0)
    gap = f", gap {float(one['gap']):.2f}%" if reference.get("optimal_cost") else ""
    if "gap_to_bound" in one:
        gap += f", gap to lower bound {float(one['gap_to_bound']):.2f}%"
    print(f"{args.policy}: test cost {float(one['cost']):.4f} ± {float(one['cost_se']):.4f}{gap}")
    if out:
        write_netcdf(ds, out)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="invrl", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    verbose = argparse.ArgumentParser(add_help=False)  # -v also after the subcommand
    verbose.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help="log progress to stderr")
    sub = parser.add_subparsers(dest="command", required=True)

    exact = sub.add_parser("exact", parents=[verbose], help="optimal long-run average cost of a single-location system (networks: `optimum`)")
    exact.add_argument("system", choices=["lost_sales", "backlog"])
    exact.add_argument("--mean", type=float, default=5.0, help="mean demand per period")
    exact.add_argument("--std", type=float, default=None, help="standard deviation (backlog, normal demand)")
    exact.add_argument("--lead-time", type=int, required=True)
    exact.add_argument("--p", type=float, required=True, help="shortage cost per unit")
    exact.add_argument("--h", type=float, default=1.0, help="holding cost per unit per period")
    exact.set_defaults(func=_exact)

    opt = sub.add_parser("optimum", parents=[verbose], help="the exact optimum of a setting (JSON), or null where none is known")
    opt.add_argument("setting", help="a name in config/settings or a YAML path")
    opt.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a setting value")
    opt.add_argument("--config", default=None, help="experiment config whose settings/ directory names resolve in")
    opt.add_argument("--out", help="write JSON here instead of printing")
    opt.set_defaults(func=_optimum)

    train = sub.add_parser("train", parents=[verbose], help="train (or fit) one policy on one setting and evaluate it on test")
    train.add_argument("setting", help="a name in config/settings or a YAML path")
    train.add_argument("policy", help="a policy name from config.yaml's `policies`")
    train.add_argument("--seed", type=int, default=0, help="training seed")
    train.add_argument("--data-seed", type=int, default=1, help="seed of the synthetic demand")
    train.add_argument("--scale", default="default", help="smoke, default or paper")
    train.add_argument("--experiment", default=None, help="take sizes from this experiment's per-scale overrides")
    train.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a setting value (dotted keys nest)")
    train.add_argument("--config", default=None, help="experiment config (default: ./config/config.yaml, else the package's)")
    train.add_argument("--optimum", default=None, help="JSON from `invrl optimum` (else computed)")
    train.add_argument("--no-optimum", action="store_true", help="skip computing the optimum")
    train.add_argument("--checkpoint", default=None, help="checkpoint file (default: beside --out, OUT.ckpt.pt)")
    train.add_argument("--no-checkpoint", action="store_true", help="do not checkpoint")
    train.add_argument("--strict-resume", action="store_true", help="stop when the checkpoint is of another configuration (default: ignore it)")
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
    except InvrlError as error:
        kind = "configuration error" if isinstance(error, ConfigError) else "error"
        print(f"invrl: {kind}: {error}", file=sys.stderr)
        sys.exit(2)
