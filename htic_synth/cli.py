"""`htic synth --out DIR [--seed N] [--scale S] [--end YYYY-MM-DD] [--truth DIR] [--dsa-start YYYY-MM-DD]`."""

from __future__ import annotations

import argparse
import sys
from datetime import date


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(f"not a YYYY-MM-DD date: {text!r}") from e


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from htic_synth import DEFAULT_END, DEFAULT_SEED

    parser.add_argument("--out", required=True, help="landing root to write (e.g. warehouse/landing)")
    parser.add_argument("--truth", default=None,
                        help="where the truth goes (default: a truth/ folder beside --out, never inside it)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies people, not years (default 1)")
    parser.add_argument("--end", type=_date, default=DEFAULT_END,
                        help=f"last as-of date (default {DEFAULT_END.isoformat()})")
    parser.add_argument("--dsa-start", type=_date, default=None, dest="dsa_start",
                        help="data-sharing agreement start: first delivery (default: 24 monthly deliveries)")


def run(args) -> int:
    import time

    from htic_synth import generate

    t0 = time.perf_counter()
    try:
        s = generate(args.out, truth=args.truth, seed=args.seed, scale=args.scale, end=args.end,
                     dsa_start=args.dsa_start)
    except (ValueError, FileExistsError) as e:
        print(f"htic synth: {e}", file=sys.stderr)
        return 2
    dt = time.perf_counter() - t0
    print(f"synthetic world: {s['files']} files, {s['rows']:,} rows, {s['bytes'] / 1e6:.1f} MB in {dt:.1f} s")
    print("  rows by source: " + ", ".join(f"{k} {v:,}" for k, v in sorted(s["rows_by_source"].items())))
    print(f"  {s['persons']:,} people, {s['cases']:,} court cases, {s['clients']:,} provider clients")
    print(f"  landing: {s['out']}")
    print(f"  truth:   {s['truth']}")
    return 0
