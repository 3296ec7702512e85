"""`htic` — a thin face over the Dagster definitions and the synthetic-world generator.

It holds no pipeline logic: each sub-command parses its arguments and calls the module that owns
the work. Heavy imports (dagster, dbt, GX) happen only inside the sub-command that needs them.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# sub-command -> module providing `add_arguments(parser)` and `run(args) -> int`
COMMANDS: dict[str, tuple[str, str]] = {
    "synth": ("htic_synth.cli", "write a synthetic landing tree (and its truth beside it)"),
    "run": ("pipelines.run", "ingest, validate, model and publish, in-process through Dagster"),
    "status": ("pipelines.status", "show the delivery ledger (never locks the warehouse)"),
    "snapshot": ("pipelines.snapshot.cli", "publish the quarterly funder snapshot"),
    "docs": ("pipelines.docs", "build the evaluators' dbt docs site (<warehouse>/docs) from analytics.duckdb alone"),
    "ui": ("pipelines.ui", "start the Dagster UI on 127.0.0.1"),
    "demo": ("pipelines.demo", "synthetic world -> pipeline -> snapshot, printing where results are"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="htic", description="HTIC programme-evaluation pipeline")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (module, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(_module=module)
        importlib.import_module(module).add_arguments(p)
    return parser


def main(argv: list[str] | None = None) -> int:
    from pipelines.settings import SecretError, keep_private, quiet_telemetry

    quiet_telemetry()
    keep_private()  # everything htic writes is owner-only unless shared on purpose (settings.py)
    args = build_parser().parse_args(argv)
    try:
        return int(importlib.import_module(args._module).run(args) or 0)
    except SecretError as exc:  # before anything was written: one line, no traceback
        print(f"htic {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"htic {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and closed: not an error of ours
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
