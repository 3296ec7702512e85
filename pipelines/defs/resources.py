"""The one resource every asset, sensor and schedule of the code location receives: `htic`.

`HticSettings` carries the fields of `pipelines.settings.Settings` (read once, by `get_settings()`,
when the definitions are built) and gives them back as that frozen object. Tests bind their own
(`HticSettings.from_settings(get_settings(tmp_path / "wh"))`) instead of touching os.environ.
"""

from dataclasses import asdict
from pathlib import Path

import dagster as dg

from pipelines.settings import Settings


class HticSettings(dg.ConfigurableResource):
    """pipelines.settings.Settings as a Dagster resource (paths as strings)."""

    warehouse: str
    landing: str
    duckdb_memory_limit: str
    duckdb_checkpoint_threshold: str
    reject_threshold: float
    batch_mb: int
    alert_webhook: str | None = None
    linkage_truth: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> "HticSettings":
        fields = asdict(settings)
        return cls(**{k: str(v) if isinstance(v, Path) else v for k, v in fields.items()})

    def get(self) -> Settings:
        fields = {k: getattr(self, k) for k in Settings.__dataclass_fields__}
        return Settings(**fields | {"warehouse": Path(self.warehouse), "landing": Path(self.landing),
                                    "linkage_truth": Path(self.linkage_truth) if self.linkage_truth else None})
