{{ config(materialized='view') }}
-- Kaplan-Meier (lifelines' estimator): S(t) = prod over event times u <= t of (1 - d_u / n_u),
-- n_u = cases with time >= u; Greenwood log-log 95% interval; reported at each horizon
-- (metric_horizons()) as `<metric>_<horizon>` while at least one case is at risk there.
-- Units: x = days to first event or censoring, w = 1 if the event was seen. The sums run in time
-- order: deterministic.
with

surv_units as (
    select
        metric_id, goal, population, cohort, breakdown, breakdown_value,
        metric_id || '|' || population || '|' || cohort || '|' || breakdown || '|' || breakdown_value as gkey,
        x as t,
        w as event
    from {{ ref('int_metric_units') }}
    where metric_kind = 'survival'
),

surv_groups as (
    select gkey, metric_id, goal, population, cohort, breakdown, breakdown_value, count(*) as n_cases
    from surv_units
    group by all
),

surv_times as (
    select gkey, t, sum(event) as d, count(*) as c
    from surv_units
    group by all
),

surv_steps as (
    select
        gkey, t, d, at_risk,
        sum(case when d > 0 and d < at_risk then ln(1 - d / at_risk) else 0 end) over w as log_s,
        max(case when d > 0 and d >= at_risk then 1 else 0 end) over w as reached_zero,
        sum(case when d > 0 and d < at_risk then d / (at_risk * (at_risk - d)) else 0 end) over w as greenwood,
        sum(d) over w as events_so_far
    from (
        select gkey, t, d, c,
               sum(c) over (partition by gkey order by t desc rows between unbounded preceding and current row) as at_risk
        from surv_times
    )
    window w as (partition by gkey order by t rows between unbounded preceding and current row)
),

horizons as (
    select * from (values
        {%- for label, days in metric_horizons() %}
        ('{{ label }}', {{ days }}){% if not loop.last %},{% endif %}
        {%- endfor %}
    ) as h(label, days)
),

surv_at as (
    select
        g.gkey, g.metric_id, g.goal, g.population, g.cohort, g.breakdown, g.breakdown_value, g.n_cases,
        h.label, h.days,
        (select coalesce(sum(st.c), 0) from surv_times as st where st.gkey = g.gkey and st.t >= h.days) as at_risk_h,
        (select arg_max(ss.log_s, ss.t) from surv_steps as ss where ss.gkey = g.gkey and ss.t <= h.days) as log_s,
        (select arg_max(ss.reached_zero, ss.t) from surv_steps as ss where ss.gkey = g.gkey and ss.t <= h.days) as reached_zero,
        (select arg_max(ss.greenwood, ss.t) from surv_steps as ss where ss.gkey = g.gkey and ss.t <= h.days) as greenwood,
        (select arg_max(ss.events_so_far, ss.t) from surv_steps as ss where ss.gkey = g.gkey and ss.t <= h.days) as events_so_far
    from surv_groups as g
    cross join horizons as h
)

select
    metric_id || '_' || label as metric_id, goal, population, cohort, breakdown, breakdown_value,
    cast(coalesce(events_so_far, 0) as double) as numerator,
    cast(n_cases as double) as denominator,
    case when coalesce(reached_zero, 0) = 1 then 0.0 else exp(coalesce(log_s, 0)) end as value,
    case when coalesce(reached_zero, 0) = 1 then null
         when coalesce(log_s, 0) = 0 then 1.0
         else exp(-exp(ln(-log_s) - {{ z975() }} * sqrt(greenwood) / log_s)) end as ci_low,
    case when coalesce(reached_zero, 0) = 1 then null
         when coalesce(log_s, 0) = 0 then 1.0
         else exp(-exp(ln(-log_s) + {{ z975() }} * sqrt(greenwood) / log_s)) end as ci_high,
    'survival' as metric_kind,
    true as counts_people
from surv_at
where at_risk_h >= 1
