{{ config(materialized='view') }}
-- G7 on A: active providers (count, overall and per court) and caseload per capacity (ratio, per
-- provider and overall), from fct_g7_provider_contracts.
with

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
)

select * from active_provider_rows
union all by name
select * from caseload_rows
