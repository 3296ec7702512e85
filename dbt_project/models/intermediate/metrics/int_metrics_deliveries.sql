{{ config(materialized='view') }}
-- G9 on A, per source, from fct_g9_deliveries: delivery timeliness (days since the latest
-- delivery, against the cadence) and rows/files rejected (counts, by delivery quarter).
with

deliveries as (
    select * from {{ ref('fct_g9_deliveries') }}
),

timeliness_rows as (
    select
        'g9_delivery_timeliness' as metric_id, 'g9' as goal, 'htic' as population, 'all' as cohort,
        'source' as breakdown, source_id as breakdown_value,
        cast({{ as_of_date() }} - max(delivery_as_of) as double) as numerator,
        cast(max(cadence_days) as double) as denominator,
        cast({{ as_of_date() }} - max(delivery_as_of) as double) as value,
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
)

select * from timeliness_rows
union all by name
select * from rejection_rows
