{{ config(materialized='view') }}
-- Durations in days: the interpolated median as the metric, and the 75th percentile as its own
-- metric `<metric>_p75`; denominator = units counted, no interval.
with

quantiles as (
    select
        metric_id, goal, population, cohort, breakdown, breakdown_value,
        count(*) as n,
        quantile_cont(x, 0.5) as p50,
        quantile_cont(x, 0.75) as p75
    from {{ ref('int_metric_units') }}
    where metric_kind = 'duration'
    group by all
)

select
    metric_id || suffix as metric_id, goal, population, cohort, breakdown, breakdown_value,
    cast(null as double) as numerator,
    cast(n as double) as denominator,
    case suffix when '' then p50 else p75 end as value,
    cast(null as double) as ci_low,
    cast(null as double) as ci_high,
    'duration' as metric_kind,
    true as counts_people
from quantiles
cross join (select '' as suffix union all select '_p75') as s
