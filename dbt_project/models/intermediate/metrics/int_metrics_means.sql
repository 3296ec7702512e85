{{ config(materialized='view') }}
-- Means with a 95% t-interval (sums of integer scores: exact in any order).
with

means as (
    select
        metric_id, goal, population, cohort, breakdown, breakdown_value,
        count(*) as n,
        sum(x) as s,
        sum(x * x) as ss
    from {{ ref('int_metric_units') }}
    where metric_kind = 'mean'
    group by all
)

select
    means.metric_id, means.goal, means.population, means.cohort, means.breakdown, means.breakdown_value,
    means.s as numerator,
    cast(means.n as double) as denominator,
    means.s / means.n as value,
    case when means.n > 1 then means.s / means.n
        - {{ t975('means.n - 1', 't') }} * sqrt((means.n * means.ss - means.s * means.s) / (means.n * (means.n - 1.0))) / sqrt(means.n)
    end as ci_low,
    case when means.n > 1 then means.s / means.n
        + {{ t975('means.n - 1', 't') }} * sqrt((means.n * means.ss - means.s * means.s) / (means.n * (means.n - 1.0))) / sqrt(means.n)
    end as ci_high,
    'mean' as metric_kind,
    true as counts_people
from means
left join {{ ref('t_critical_values') }} as t
    on t.df = means.n - 1
