"""`make bench [SCALES="1 3 10 30"]`: the cost curve (bench/curve.py: every stage at each scale, the
DuckDB floor, dbt's overhead, a monthly run; writes <warehouse>/bench/curve.csv and the README's cost
table), then the areas' own benchmarks (bench_evaluation, bench_snapshot). Prints figures; asserts
nothing. Each module exposes `main()` and runs its measured work in subprocesses so that peak memory
is per run. (bench_synth, bench_ingest and bench_pipeline still run alone: `python bench/<name>.py`.)
"""

from __future__ import annotations

import importlib
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

AREAS = ["bench_evaluation", "bench_snapshot"]


def main() -> int:
    t0 = time.monotonic()
    import curve

    print("== the cost curve (bench/curve.py) ==", flush=True)
    curve.main(sys.argv[1:])
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
