"""Dagster definitions for the snapshot area (owner: see docs/architecture.md). Placeholder."""

import dagster as dg

defs = dg.Definitions()
