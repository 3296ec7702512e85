"""Dagster definitions for the ingestion area (owner: see docs/architecture.md). Placeholder."""

import dagster as dg

defs = dg.Definitions()
