"""Argument types of the `htic` commands: a value that does not parse is refused by the argument
parser, in one line, before anything runs (pipelines/cli.py)."""

from __future__ import annotations

import argparse
from datetime import date


def as_of_date(text: str) -> date:
    """`--as-of`: a calendar date YYYY-MM-DD (2026-02-30 is refused)."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a calendar date YYYY-MM-DD: {text!r}") from None


def quarter(text: str) -> str:
    """A quarter label YYYYQn (pipelines.dates)."""
    from pipelines import dates

    try:
        dates.parse_quarter(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a quarter YYYYQn: {text!r}") from None
    return text
