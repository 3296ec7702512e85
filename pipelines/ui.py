"""`htic ui`: the Dagster UI (webserver + daemon) on 127.0.0.1, over this project's code location."""

from __future__ import annotations

import os
import sys


def add_arguments(parser):
    parser.add_argument("--warehouse", help="warehouse folder (default: ./warehouse or $HTIC_WAREHOUSE)")
    parser.add_argument("--landing", help="landing root (default: <warehouse>/landing or $HTIC_LANDING)")
    parser.add_argument("--port", type=int, default=3000)


def run(args) -> int:
    from pipelines.settings import get_settings

    settings = get_settings(args.warehouse, args.landing)
    settings.ensure_dirs()
    env = dict(os.environ)
    bindir = os.path.dirname(sys.executable)  # the venv's bin: dagster, and the dbt that dagster-dbt runs
    env.update(
        PATH=bindir + os.pathsep + env.get("PATH", ""),
        DAGSTER_HOME=str(settings.ensure_dagster_home()),
        HTIC_WAREHOUSE=str(settings.warehouse),
        HTIC_LANDING=str(settings.landing),
    )
    print(f"Dagster UI on http://127.0.0.1:{args.port}  (DAGSTER_HOME={env['DAGSTER_HOME']})", flush=True)
    # exec: the UI becomes this process, so Ctrl-C and kill reach it directly.
    os.execve(
        os.path.join(bindir, "dagster"),
        ["dagster", "dev", "-h", "127.0.0.1", "-p", str(args.port), "-m", "pipelines.definitions"],
        env,
    )
    return 0
