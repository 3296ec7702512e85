{{ config(materialized='view') }}
-- Rates: units with the event / units counted, with a Wilson 95% interval (macros/metrics/intervals.sql).
with

rates as (
    select
        metric_id, goal, population, cohort, breakdown, breakdown_value,
        sum(x) as numerator,
        sum(w) as denominator
    from {{ ref('int_metric_units') }}
    where metric_kind = 'rate'
    group by all
    having sum(w) > 0
)

select
    metric_id, goal, population, cohort, breakdown, breakdown_value,
    numerator,
    denominator,
    numerator / denominator as value,
    {{ wilson_low('numerator', 'denominator') }} as ci_low,
    {{ wilson_high('numerator', 'denominator') }} as ci_high,
    'rate' as metric_kind,
    true as counts_people
from rates
