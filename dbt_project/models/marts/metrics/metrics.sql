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
  Definitions in plain words: docs/metrics.md and the docs blocks in _metrics__docs.md.
  Full precision (the funder snapshot rounds); deterministic: every aggregate is over integers or
  order-independent (quantiles), the survival sums run in time order, rows are sorted.
-#}

with

units as (
    -- G1 Divert from criminal penalties and clear the record ---------------------------------
    {{ metric_units('g1_noncriminal_disposition', 'g1', 'rate', ref('fct_g1_case_outcomes'),
                    "population = 'htic' and is_disposed_on_merits", 'is_noncriminal') }}
    union all
    {{ metric_units('g1_sealed_within_1y', 'g1', 'rate', ref('fct_g1_case_outcomes'),
                    "population = 'htic' and is_acd_or_dismissed and sealing_window_elapsed",
                    'sealed_within_1y', cohort='disposition_cohort', window=365) }}
    union all
    {{ metric_units('g1_days_to_disposition', 'g1', 'duration', ref('fct_g1_case_outcomes'),
                    "population = 'htic' and is_disposed_on_merits", 'days_to_disposition') }}
    union all
    {{ metric_units('g1_warrant_180d', 'g1', 'rate', ref('fct_g1_case_outcomes'),
                    "population = 'htic' and warrant_window_elapsed", 'warrant_180d', window=180) }}

    -- G2 Connect people to services ----------------------------------------------------------
    union all
    {{ metric_units('g2_service_start_30d', 'g2', 'rate', ref('fct_g2_mandates'),
                    'start_window_elapsed', 'service_start_30d', window=30) }}
    union all
    {{ metric_units('g2_mandate_completion_180d', 'g2', 'rate', ref('fct_g2_mandates'),
                    'completion_window_elapsed', 'completed_180d', window=180) }}
    union all
    {{ metric_units('g2_days_to_completion', 'g2', 'duration', ref('fct_g2_mandates'),
                    'is_completed', 'days_to_completion') }}
    union all
    {{ metric_units('g2_attendance_rate', 'g2', 'rate', ref('fct_g2_mandates'),
                    'completion_window_elapsed and attended_180d + no_show_180d > 0',
                    'attended_180d', w='attended_180d + no_show_180d', window=180) }}

    -- G3 Address what led people into the trade ----------------------------------------------
    union all
    {{ metric_units('g3_needs_screened_30d', 'g3', 'rate', ref('fct_g3_clients'),
                    'screening_window_elapsed', 'screened_30d', window=30) }}
    union all
    {{ metric_units('g3_need_referred_60d', 'g3', 'rate', ref('fct_g3_client_needs'),
                    'referral_window_elapsed', 'referred_60d', domain='domain', window=60) }}
    union all
    {{ metric_units('g3_referral_connected_90d', 'g3', 'rate', ref('fct_g3_referrals'),
                    'connection_window_elapsed', 'connected_90d', window=90) }}

    -- G4 Fewer returns to the justice system (HTIC and comparison) ---------------------------
    {%- for label, days in [('6m', 182), ('12m', 365), ('24m', 730)] %}
    {%- for kind in ['any', 'prostitution'] %}
    union all
    {{ metric_units('g4_rearrest_' ~ kind ~ '_' ~ label, 'g4', 'rate', ref('fct_g4_rearrests'),
                    'in_rearrest_population and rearrest_window_' ~ label ~ '_elapsed',
                    'rearrest_' ~ kind ~ '_' ~ label, cohort='disposition_cohort', window=days) }}
    {%- endfor %}
    {%- endfor %}
    union all
    {{ metric_units('g4_htic_return_12m', 'g4', 'rate', ref('fct_g4_rearrests'),
                    "population = 'htic' and return_window_elapsed", 'htic_return_12m', window=365) }}
    union all
    {{ metric_units('g4_rearrest_free_survival', 'g4', 'survival', ref('fct_g4_rearrests'),
                    'in_rearrest_population', 'survival_days', w='survival_event',
                    cohort='disposition_year') }}

    -- G5 An entry point beyond the mandate ---------------------------------------------------
    union all
    {{ metric_units('g5_voluntary_continuation', 'g5', 'rate', ref('fct_g5_mandate_continuation'),
                    'continuation_window_elapsed', 'voluntary_continuation',
                    cohort='completion_cohort', window=180) }}
    union all
    {{ metric_units('g5_self_referred_share', 'g5', 'rate', ref('fct_g5_client_intakes'),
                    'true', 'self_referred') }}

    -- G6 Identify trafficking and open legal relief ------------------------------------------
    union all
    {{ metric_units('g6_trafficking_screened_30d', 'g6', 'rate', ref('fct_g6_clients'),
                    'screening_window_elapsed', 'trafficking_screened_30d', window=30) }}
    union all
    {{ metric_units('g6_legal_referral_60d', 'g6', 'rate', ref('fct_g6_clients'),
                    'has_trafficking_indicators and legal_window_elapsed', 'legal_referral_60d', window=60) }}

    -- G7 A stable provider network (no breakdowns) -------------------------------------------
    union all
    {{ metric_units('g7_continuity_after_exit', 'g7', 'rate', ref('fct_g7_contract_exits'),
                    'continuity_window_elapsed', 'continued_60d', breakdowns=false, window=60) }}

    -- G8 Services people find useful (all exits, by exit quarter; no breakdowns) -------------
    union all
    {{ metric_units('g8_helpfulness_mean', 'g8', 'mean', ref('fct_g8_exits'),
                    'survey_helpfulness is not null', 'survey_helpfulness', breakdowns=false) }}
    union all
    {{ metric_units('g8_would_recommend', 'g8', 'rate', ref('fct_g8_exits'),
                    'survey_would_recommend is not null', "survey_would_recommend = 'Y'", breakdowns=false) }}
    union all
    {{ metric_units('g8_survey_response_rate', 'g8', 'rate', ref('fct_g8_exits'),
                    'true', 'survey_responded', breakdowns=false) }}

    -- G9 Data that can answer these questions (no breakdowns) --------------------------------
    union all
    {{ metric_units('g9_cases_linked', 'g9', 'rate', ref('fct_g9_cases'),
                    'is_mandated and linkage_window_elapsed', 'is_linked', breakdowns=false, window=30) }}
    union all
    {{ metric_units('g9_nysid_coverage', 'g9', 'rate', ref('fct_g9_cases'),
                    'true', 'has_nysid', breakdowns=false) }}
),

-- every unit once overall, and once per breakdown for metrics that have breakdowns
expanded as (
    select metric_id, goal, metric_kind, population, cohort,
           'overall' as breakdown, 'all' as breakdown_value, x, w
    from units
    {%- for b in breakdown_columns() %}
    union all
    select metric_id, goal, metric_kind, population, cohort,
           '{{ b }}' as breakdown, coalesce({{ b }}, 'unknown') as breakdown_value, x, w
    from units
    where has_breakdowns
    {%- endfor %}
    union all
    select metric_id, goal, metric_kind, population, cohort,
           'domain' as breakdown, domain as breakdown_value, x, w
    from units
    where domain is not null
),

rates as (
    select
        metric_id, goal, metric_kind, population, cohort, breakdown, breakdown_value,
        sum(x) as numerator,
        sum(w) as denominator
    from expanded
    where metric_kind = 'rate'
    group by all
    having sum(w) > 0
),

rate_rows as (
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
),

-- durations: interpolated median, and the 75th percentile as its own metric `<metric>_p75`
duration_rows as (
    select
        metric_id || suffix as metric_id, goal, population, cohort, breakdown, breakdown_value,
        cast(null as double) as numerator,
        cast(n as double) as denominator,
        case suffix when '' then p50 else p75 end as value,
        cast(null as double) as ci_low,
        cast(null as double) as ci_high,
        'duration' as metric_kind,
        true as counts_people
    from (
        select
            metric_id, goal, population, cohort, breakdown, breakdown_value,
            count(*) as n,
            quantile_cont(x, 0.5) as p50,
            quantile_cont(x, 0.75) as p75
        from expanded
        where metric_kind = 'duration'
        group by all
    ) as d
    cross join (select '' as suffix union all select '_p75') as s
),

-- means with a 95% t-interval (sums of integer scores: exact in any order)
means as (
    select
        metric_id, goal, population, cohort, breakdown, breakdown_value,
        count(*) as n,
        sum(x) as s,
        sum(x * x) as ss
    from expanded
    where metric_kind = 'mean'
    group by all
),

mean_rows as (
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
),

-- Kaplan-Meier (lifelines' estimator): S(t) = prod over event times u <= t of (1 - d_u / n_u),
-- n_u = cases with time >= u; Greenwood log-log 95% interval; reported while n_t >= 1.
surv_units as (
    select
        metric_id, goal, population, cohort, breakdown, breakdown_value,
        metric_id || '|' || population || '|' || cohort || '|' || breakdown || '|' || breakdown_value as gkey,
        x as t,
        w as event
    from expanded
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
    select * from (values ('6m', 182), ('12m', 365), ('24m', 730)) as h(label, days)
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
),

survival_rows as (
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
),

-- G7 counts and ratios on A ------------------------------------------------------------------
providers as (
    select * from {{ ref('fct_g7_provider_contracts') }}
),

active_provider_rows as (
    select
        'g7_active_providers' as metric_id, 'g7' as goal, 'htic' as population, 'all' as cohort,
        'overall' as breakdown, 'all' as breakdown_value,
        cast(count(distinct provider_id) filter (where is_active_on_as_of) as double) as numerator,
        cast(null as double) as denominator,
        cast(count(distinct provider_id) filter (where is_active_on_as_of) as double) as value,
        cast(null as double) as ci_low, cast(null as double) as ci_high,
        'count' as metric_kind, false as counts_people
    from providers
    having count(*) > 0
    union all
    select
        'g7_active_providers', 'g7', 'htic', 'all', 'court', court,
        cast(count(distinct provider_id) filter (where is_active_on_as_of) as double),
        cast(null as double),
        cast(count(distinct provider_id) filter (where is_active_on_as_of) as double),
        cast(null as double), cast(null as double),
        'count', false
    from providers
    group by court
),

-- capacity describes the provider ("active clients it can hold"), repeated on each court row;
-- should the rows of one provider disagree, the largest is its capacity
caseloads as (
    select provider_id, max(provider_active_clients) as active_clients, max(capacity) as capacity
    from providers
    where is_active_on_as_of
    group by 1
),

caseload_rows as (
    select
        'g7_caseload_per_capacity' as metric_id, 'g7' as goal, 'htic' as population, 'all' as cohort,
        'provider' as breakdown, provider_id as breakdown_value,
        cast(active_clients as double) as numerator,
        cast(capacity as double) as denominator,
        case when capacity > 0 then cast(active_clients as double) / capacity end as value,
        cast(null as double) as ci_low, cast(null as double) as ci_high,
        'ratio' as metric_kind, true as counts_people
    from caseloads
    union all
    select
        'g7_caseload_per_capacity', 'g7', 'htic', 'all', 'overall', 'all',
        cast(sum(active_clients) as double),
        cast(sum(capacity) as double),
        case when sum(capacity) > 0 then cast(sum(active_clients) as double) / sum(capacity) end,
        cast(null as double), cast(null as double),
        'ratio', true
    from caseloads
    having count(*) > 0
),

-- G9 delivery timeliness and rejections, per source -------------------------------------------
deliveries as (
    select * from {{ ref('fct_g9_deliveries') }}
),

timeliness_rows as (
    select
        'g9_delivery_timeliness' as metric_id, 'g9' as goal, 'htic' as population, 'all' as cohort,
        'source' as breakdown, source_id as breakdown_value,
        cast({{ as_of_date() }} - max(as_of) as double) as numerator,
        cast(max(cadence_days) as double) as denominator,
        cast({{ as_of_date() }} - max(as_of) as double) as value,
        cast(null as double) as ci_low, cast(null as double) as ci_high,
        'duration' as metric_kind, false as counts_people
    from deliveries
    -- a byte-identical re-send under a new as-of date ('duplicate') is a delivery that arrived on time
    where status in ('accepted', 'duplicate') and is_on_or_before_as_of
    group by source_id
),

rejection_rows as (
    select
        'g9_rows_rejected' as metric_id, 'g9' as goal, 'htic' as population, cohort,
        'source' as breakdown, source_id as breakdown_value,
        cast(sum(rows_rejected) as double) as numerator,
        cast(sum(rows_received) as double) as denominator,
        cast(sum(rows_rejected) as double) as value,
        cast(null as double) as ci_low, cast(null as double) as ci_high,
        'count' as metric_kind, false as counts_people
    from deliveries
    group by cohort, source_id
    union all
    select
        'g9_files_rejected', 'g9', 'htic', cohort, 'source', source_id,
        cast(sum(files_rejected) as double),
        cast(sum(files) as double),
        cast(sum(files_rejected) as double),
        cast(null as double), cast(null as double),
        'count', false
    from deliveries
    where status in ('accepted', 'rejected')
    group by cohort, source_id
),

all_rows as (
    select * from rate_rows
    union all by name select * from duration_rows
    union all by name select * from mean_rows
    union all by name select * from survival_rows
    union all by name select * from active_provider_rows
    union all by name select * from caseload_rows
    union all by name select * from timeliness_rows
    union all by name select * from rejection_rows
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
