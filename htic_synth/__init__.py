"""htic_synth — the synthetic world generator (a wing of its own; the pipeline never imports it).

`generate(out, truth=None, seed=..., scale=1.0, end=date(2026, 11, 30), dsa_start=None, targets=True)`
writes a landing tree that follows docs/extracts.md and the truth beside it. See htic_synth/README.md.
"""

from __future__ import annotations

from datetime import date

DEFAULT_SEED = 20261130
DEFAULT_END = date(2026, 11, 30)


def generate(out, truth=None, seed: int = DEFAULT_SEED, scale: float = 1.0, end: date = DEFAULT_END,
             dsa_start: date | None = None, targets: bool = True) -> dict:
    """Generate a world; returns a summary dict (files, rows, bytes, rows_by_source, ...).
    `targets=False`: the programme never delivers a targets.csv."""
    from .orchestrator import generate as _generate

    return _generate(out, truth=truth, seed=seed, scale=scale, end=end, dsa_start=dsa_start, targets=targets)


__all__ = ["generate", "DEFAULT_SEED", "DEFAULT_END"]
