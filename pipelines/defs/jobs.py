"""The named jobs every run belongs to, in the UI and from `htic` (pipelines/runner.py runs them,
subset to what a command needs, so no run is an anonymous `__ephemeral_asset_job__`):

* `ingest` — every pending delivery into the raw tables (pipelines/ingestion/assets.py; the delivery
  sensor starts it); `ingest_delivery` — reprocess one delivery (a partition of ingestion/delivery);
* `build` — ingestion, every dbt model and test as of A, the adjusted comparison and the analytics
  warehouse (`htic run`);
* `funder_snapshot_job` — the quarter's snapshot with everything it is built from
  (pipelines/snapshot/assets.py; `htic snapshot` and the quarterly schedule).
"""

import dagster as dg

from pipelines.ingestion.assets import DELIVERY_KEY
from pipelines.snapshot.assets import SNAPSHOT_KEY

INGEST_JOB = "ingest"
BUILD_JOB = "build"
SNAPSHOT_JOB = "funder_snapshot_job"

build_job = dg.define_asset_job(
    BUILD_JOB,
    selection=dg.AssetSelection.all() - dg.AssetSelection.assets(DELIVERY_KEY, SNAPSHOT_KEY),
    description="Ingest every pending delivery, build every model as of A (run config of the dbt asset; "
                "default: the last quarter end the deliveries cover) and publish the analytics warehouse.")
