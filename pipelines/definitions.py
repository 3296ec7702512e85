"""The one Dagster code location: gathers each area's small `Definitions` (pipelines/defs/*.py)."""

import dagster as dg

from pipelines.defs import dbt, ingestion, snapshot

defs = dg.Definitions.merge(ingestion.defs, dbt.defs, snapshot.defs)
