"""Dagster definitions for the dbt area (owner: see docs/architecture.md). Placeholder."""

import dagster as dg

defs = dg.Definitions()
