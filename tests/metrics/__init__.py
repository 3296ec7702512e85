"""Tests of the metrics area: marts and analytics.metrics against the synthetic world."""
