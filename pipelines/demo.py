"""`htic demo` (what `make demo` runs): synthetic world -> pipeline -> funder snapshot.

Uses the embedded defaults: the warehouse folder of this checkout, the default synthetic world
(fixed seed and end date, so the figures are the same on any day). Re-running reuses a world that
was already generated with the same parameters, and an already published quarter is left as it is.
"""

from __future__ import annotations

import json
import time


def add_arguments(parser):
    parser.add_argument("--warehouse", help="warehouse folder (default: ./warehouse)")
    parser.add_argument("--scale", type=float, default=1.0, help="synthetic world scale (default 1)")
    parser.add_argument("--seed", type=int, default=None, help="synthetic world seed (default: the generator's)")


def run(args) -> int:
    from htic_synth import DEFAULT_SEED, generate  # the demo (not the pipeline) knows the world is synthetic
    from pipelines.init import create_warehouse
    from pipelines.run import print_summary, run_pipeline
    from pipelines.settings import get_settings, pseudonym_secret

    pseudonym_secret(create=True)  # the demo's own key when none is configured (says so when it makes one)
    settings = get_settings(args.warehouse)
    if create_warehouse(settings):  # the demo's explicit `htic init`
        print(f"[demo] created the warehouse {settings.warehouse}")
    truth = settings.warehouse / "truth"
    seed = DEFAULT_SEED if args.seed is None else args.seed
    wanted = {"seed": seed, "scale": args.scale}
    params_file = truth / "params.json"
    have = json.loads(params_file.read_text()) if params_file.exists() else {}
    t0 = time.monotonic()
    if all(have.get(k) == v for k, v in wanted.items()) and any(settings.landing.iterdir() if settings.landing.exists() else []):
        print(f"[demo] synthetic world already in {settings.landing} (seed {seed}, scale {args.scale})")
    else:
        print(f"[demo] generating the synthetic world into {settings.landing} ...", flush=True)
        summary = generate(settings.landing, truth=truth, seed=seed, scale=args.scale)
        print(f"[demo] {summary.get('files', '?')} files, {summary.get('rows', '?')} rows in {time.monotonic() - t0:.1f}s")

    print("[demo] ingesting, validating and modelling every delivery (htic run; ~2 minutes on the default world) ...",
          flush=True)
    print_summary(run_pipeline(settings, quiet=True))

    from pipelines.defs.dbt import latest_console_log
    from pipelines.snapshot.cli import publish_latest

    print("[demo] publishing the funder snapshot of the latest complete quarter (htic snapshot) ...", flush=True)
    snap = publish_latest(settings)

    from pipelines.snapshot.publish import print_first_page

    print()
    print_first_page(settings, snap)  # the first page of the report: per goal its headline and verdict

    print()
    print("== Where the results are ==")
    print(f"  landing tree (synthetic)   {settings.landing}")
    print(f"  planted truth (synthetic)  {truth}")
    print(f"  restricted store           {settings.restricted_db}   (identifiers; pipeline only)")
    print(f"  delivery ledger            {settings.ledger_export}   (htic status)")
    print(f"  dbt's console log          {latest_console_log(settings)}")
    print(f"  analytics warehouse        {settings.analytics_db}   (evaluators: duckdb -readonly)")
    print(f"  funder snapshot            {snap}")
    print("  Dagster UI                 make ui  ->  http://127.0.0.1:3000")
    print(f"[demo] done in {time.monotonic() - t0:.0f}s")
    return 0
