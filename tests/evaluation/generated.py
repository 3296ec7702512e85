"""A world from the project's generator, through the user's path (`htic synth`, `htic run`): the
real ingestion, the dbt marts (fct_eval_cases among them), the evaluation asset and the publish
step, as of AS_OF. Its truth folder holds potential_risks.csv, so the true ATT is known.

Scale 0.4: the 12-month standard errors there (~0.016 for ps_matched, ~0.013 for ipw and aipw;
about 0.010 and 0.008 at scale 1) put the 0.04 tolerance at 2.5 standard errors or more; at 0.1
(the other test worlds) it would be ~1.2, a coin toss. The seed is the first one tried. A data-sharing
window of four month ends keeps the landing tree small (each court snapshot is a full one).
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SEED, SCALE = 11, 0.4
DSA_START = "2026-08-31"  # deliveries at 2026-08-31 ... 2026-11-30: `htic run` builds as of AS_OF
AS_OF = date(2026, 9, 30)
SECRET = "evaluation-test-secret-5e7b20"  # only for these tests


@dataclass(frozen=True)
class GeneratedWorld:
    landing: Path
    truth: Path
    warehouse: Path
    run_stdout: str

    @property
    def analytics_db(self) -> Path:
        return self.warehouse / "analytics.duckdb"


def env() -> dict[str, str]:
    e = dict(os.environ)
    e.update(PATH=f"{Path(sys.executable).parent}{os.pathsep}{e.get('PATH', '')}", HTIC_PSEUDONYM_SECRET=SECRET,
             DAGSTER_DISABLE_TELEMETRY="1", DBT_SEND_ANONYMOUS_USAGE_STATS="false", DO_NOT_TRACK="1",
             GX_ANALYTICS_ENABLED="false")
    return e


def htic(*args: str) -> str:
    proc = subprocess.run([sys.executable, "-m", "pipelines.cli", *args], cwd=REPO, env=env(),
                          capture_output=True, text=True, timeout=1200)
    if proc.returncode != 0:
        raise AssertionError(f"htic {args[0]} exited {proc.returncode}\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
    return proc.stdout


def build(root: Path, seed: int = SEED, scale: float = SCALE) -> GeneratedWorld:
    landing, truth, warehouse = root / "landing", root / "truth", root / "warehouse"
    htic("synth", "--out", str(landing), "--truth", str(truth), "--seed", str(seed), "--scale", str(scale),
         "--dsa-start", DSA_START)
    out = htic("run", "--landing", str(landing), "--warehouse", str(warehouse), "--create")
    return GeneratedWorld(landing, truth, warehouse, out)
