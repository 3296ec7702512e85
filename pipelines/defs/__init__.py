"""The asset graph, one module per area: ingestion (deliveries -> raw/*), dbt (raw/* -> models ->
analytics_warehouse), evaluation (the eval mart -> effects tables, before the publish), snapshot
(analytics_warehouse -> funder_snapshot).

`definitions(settings)` joins them and binds the one `htic` resource (the settings) and dbt's; the
code location (pipelines/definitions.py) and the runner (pipelines/runner.py) both use it, so the
UI and `htic run` / `htic snapshot` see one graph and the same named jobs (pipelines/defs/jobs.py).
"""

import dagster as dg

from pipelines.settings import Settings


def definitions(settings: Settings) -> dg.Definitions:
    from pipelines.defs import dbt, ingestion, snapshot
    from pipelines.defs.jobs import build_job
    from pipelines.defs.plausibility import metrics_plausibility
    from pipelines.defs.resources import HticSettings
    from pipelines.evaluation import assets as evaluation

    return dg.Definitions.merge(
        ingestion.defs, dbt.definitions(settings), evaluation.defs, snapshot.defs,
        dg.Definitions(jobs=[build_job], asset_checks=[metrics_plausibility], resources={"htic": HticSettings.from_settings(settings)}),
    )
