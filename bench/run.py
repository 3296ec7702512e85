"""`make bench`: every area's benchmark, one after the other. Prints figures; asserts nothing.

Each area's module (bench_synth, bench_ingest, bench_pipeline, bench_evaluation, bench_snapshot) exposes `main()`
and runs its measured work in subprocesses so that peak memory is per run.
"""

from __future__ import annotations

import importlib
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

AREAS = ["bench_synth", "bench_ingest", "bench_pipeline", "bench_evaluation", "bench_snapshot"]


def main() -> int:
    t0 = time.monotonic()
    for name in AREAS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError:
            print(f"== {name}: not present ==")
            continue
        print(f"\n== {name} ==", flush=True)
        module.main()
    print(f"\nbench done in {time.monotonic() - t0:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
