"""htic-eval: ingestion, validation, modelling and publication for HTIC evaluation."""
