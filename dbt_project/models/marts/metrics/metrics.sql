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
  Targets (metrics.md v2): the target in force on A (stg_program__targets: the latest
  effective_from <= A per metric and population) on every row of population htic of its metric,
  whatever the cohort or period; the verdict where the row also has a 95% interval: `met` when
  the whole interval lies on the good side (the target itself counts as good), `not_met` when it
  lies wholly on the other side, else `uncertain`, on unrounded values. (The snapshot blanks the
  verdict of suppressed rows.)
-#}

with

all_rows as (
    select * from {{ ref('int_metrics_rates') }}
    union all by name select * from {{ ref('int_metrics_durations') }}
    union all by name select * from {{ ref('int_metrics_means') }}
    union all by name select * from {{ ref('int_metrics_survival') }}
    union all by name select * from {{ ref('int_metrics_providers') }}
    union all by name select * from {{ ref('int_metrics_deliveries') }}
),

targets_in_force as (
    select metric_id, population, target, direction
    from {{ ref('stg_program__targets') }}
    where effective_from <= {{ as_of_date() }}
    qualify row_number() over (partition by metric_id, population order by effective_from desc) = 1
),

judged as (
    select
        all_rows.*,
        targets_in_force.target,
        targets_in_force.direction,
        case
            when targets_in_force.target is null or all_rows.ci_low is null or all_rows.ci_high is null then null
            when targets_in_force.direction = 'HIGHER' and all_rows.ci_low >= targets_in_force.target then 'met'
            when targets_in_force.direction = 'HIGHER' and all_rows.ci_high < targets_in_force.target then 'not_met'
            when targets_in_force.direction = 'LOWER' and all_rows.ci_high <= targets_in_force.target then 'met'
            when targets_in_force.direction = 'LOWER' and all_rows.ci_low > targets_in_force.target then 'not_met'
            else 'uncertain'
        end as verdict
    from all_rows
    left join targets_in_force
        on targets_in_force.metric_id = all_rows.metric_id
       and targets_in_force.population = all_rows.population
       and all_rows.population = 'htic'
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
    cast(counts_people as boolean) as counts_people,
    cast(target as double) as target,
    cast(direction as varchar) as direction,
    cast(verdict as varchar) as verdict
from judged
order by metric_id, population, cohort, breakdown, breakdown_value
