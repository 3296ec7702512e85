"""Dagster definitions for the snapshot area: the quarterly funder snapshot, its job and schedule."""

import dagster as dg

from pipelines.snapshot.assets import funder_snapshot, quarterly_snapshot_schedule, snapshot_job

defs = dg.Definitions(assets=[funder_snapshot], jobs=[snapshot_job], schedules=[quarterly_snapshot_schedule])
