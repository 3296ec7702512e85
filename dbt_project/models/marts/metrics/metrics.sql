{{
    config(
        materialized='incremental',
        unique_key='as_of',
        incremental_strategy='delete+insert',
        on_schema_change='fail'
    )
}}
{#-
  analytics.metrics: every metric of metrics.md as of A (var `as_of`), long format
  (docs/architecture.md). One set of rows per as_of; re-building an as_of replaces its rows.
  The rows of the estimator models (models/intermediate/metrics: rates, durations, means, survival
  from the unit rows of int_metric_units; G7 providers; G9 deliveries), typed and stamped with A.
  Which metrics exist: macros/metrics/metric_registry.sql, checked against seeds/metric_catalogue.csv.
  Definitions in plain words: docs/metrics.md and the docs blocks in models/marts/_marts__docs.md.
  Full precision (the funder snapshot rounds); deterministic: every aggregate is over integers or
  order-independent (quantiles), the survival sums run in time order, rows are sorted.
-#}

with

all_rows as (
    select * from {{ ref('int_metrics_rates') }}
    union all by name select * from {{ ref('int_metrics_durations') }}
    union all by name select * from {{ ref('int_metrics_means') }}
    union all by name select * from {{ ref('int_metrics_survival') }}
    union all by name select * from {{ ref('int_metrics_providers') }}
    union all by name select * from {{ ref('int_metrics_deliveries') }}
)

select
    cast(metric_id as varchar) as metric_id,
    cast(goal as varchar) as goal,
    cast(population as varchar) as population,
    cast(cohort as varchar) as cohort,
    cast(breakdown as varchar) as breakdown,
    cast(breakdown_value as varchar) as breakdown_value,
    cast(numerator as double) as numerator,
    cast(denominator as double) as denominator,
    cast(value as double) as value,
    cast(ci_low as double) as ci_low,
    cast(ci_high as double) as ci_high,
    {{ as_of_date() }} as as_of,
    cast(metric_kind as varchar) as metric_kind,
    cast(counts_people as boolean) as counts_people
from all_rows
order by metric_id, population, cohort, breakdown, breakdown_value
