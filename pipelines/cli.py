"""`htic` — a thin face over the Dagster definitions and the synthetic-world generator.

It holds no pipeline logic: each sub-command parses its arguments and calls the module that owns
the work. Heavy imports (dagster, dbt, GX) happen only inside the sub-command that needs them.

It refuses mistakes before anything is written, each in one line on stderr with exit status 2:
an argument that does not parse (a date, a quarter: `pipelines.cliargs`), a landing root or a
warehouse that does not exist (REQUIRES below). A warehouse is created only on request: `htic init`,
or `htic run --create`.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# sub-command -> module providing `add_arguments(parser)` and `run(args) -> int`
COMMANDS: dict[str, tuple[str, str]] = {
    "synth": ("htic_synth.cli", "write a synthetic landing tree (and its truth beside it)"),
    "init": ("pipelines.init", "create a new, empty warehouse folder"),
    "run": ("pipelines.run", "ingest, validate, model and publish, in-process through Dagster"),
    "status": ("pipelines.status", "what arrived, what was held or rejected, what is overdue (never locks the warehouse)"),
    "snapshot": ("pipelines.snapshot.cli", "publish the quarterly funder snapshot"),
    "docs": ("pipelines.docs_cli", "build the evaluators' dbt docs site (<warehouse>/docs) from analytics.duckdb alone"),
    "ui": ("pipelines.ui", "start the Dagster UI on 127.0.0.1"),
    "demo": ("pipelines.demo", "synthetic world -> pipeline -> snapshot, printing where results are"),
}

# sub-command -> the folders that must exist before it starts (`--create` lifts the warehouse's)
REQUIRES: dict[str, tuple[str, ...]] = {
    "run": ("warehouse", "landing"),
    "status": ("warehouse",),
    "snapshot": ("warehouse",),
    "docs": ("warehouse",),
    "ui": ("warehouse",),
}


class OneLineParser(argparse.ArgumentParser):
    """argparse, with a mistake reported in one line (no usage block) and exit status 2."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="htic", description="HTIC programme-evaluation pipeline")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (module, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(_module=module)
        importlib.import_module(module).add_arguments(p)
    return parser


def missing_folder(args) -> str | None:
    """Why the command cannot start (a folder it needs does not exist), or None."""
    from pipelines.settings import get_settings

    needs = REQUIRES.get(args.command, ())
    if not needs:
        return None
    settings = get_settings(getattr(args, "warehouse", None), getattr(args, "landing", None))
    if "warehouse" in needs and not settings.warehouse.is_dir() and not getattr(args, "create", False):
        return (f"warehouse {settings.warehouse} does not exist (create it with `htic init --warehouse "
                f"{settings.warehouse}`, or pass --create)")
    if "landing" in needs and not settings.landing.is_dir():
        return f"landing root {settings.landing} does not exist"
    return None


def main(argv: list[str] | None = None) -> int:
    from pipelines.settings import SecretError, keep_private, quiet_telemetry

    quiet_telemetry()
    keep_private()  # everything htic writes is owner-only unless shared on purpose (settings.py)
    args = build_parser().parse_args(argv)
    if problem := missing_folder(args):
        print(f"htic {args.command}: {problem}", file=sys.stderr)
        return 2
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
