"""Dagster definitions for the ingestion area: raw-table assets and their GX checks, the per-delivery
partitions, the delivery sensor, the run-failure alert and the jobs."""

import dagster as dg

from pipelines.ingestion.assets import delivery, ingest_delivery_job, ingest_job, raw_tables
from pipelines.ingestion.sensors import new_deliveries_sensor, run_failure_alert

defs = dg.Definitions(
    assets=[raw_tables, delivery],
    jobs=[ingest_job, ingest_delivery_job],
    sensors=[new_deliveries_sensor, run_failure_alert],
)
