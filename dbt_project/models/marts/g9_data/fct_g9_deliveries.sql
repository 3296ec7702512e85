{#- G9: one row per delivery version in the ledger with as-of <= A + grace_days (the deliveries
    that can inform figures as of A), with its fate and, for accepted ones, the rows that
    row-level validation rejected (metrics.md, g9_delivery_timeliness, g9_rows_rejected). No
    identifiers: the ledger has none and rejected rows are only counted. -#}
with deliveries as (
    select
        delivery_key,
        source_id,
        source_kind,
        entity_id,
        cast(as_of as date) as as_of,
        cast(version as integer) as version,
        status,
        reason,
        rows_loaded,
        rows_rejected
    from {{ source('raw', 'deliveries') }}
    where cast(as_of as date) <= {{ delivery_cutoff_date() }}
),

files as (
    select delivery_key, count(*) as files, sum(row_count) as control_rows
    from {{ source('raw', 'delivery_files') }}
    group by 1
),

rejected as (
    select delivery_key, count(distinct file_name || '#' || cast(line_number as varchar)) as rejected_rows
    from {{ source('raw', 'rejected_rows') }}
    group by 1
)

select
    {{ as_of_date() }} as as_of,
    deliveries.delivery_key,
    deliveries.source_id,
    deliveries.source_kind,
    deliveries.entity_id,
    deliveries.as_of as delivery_as_of,
    {{ quarter_label('deliveries.as_of') }} as cohort,
    deliveries.version,
    deliveries.status,
    deliveries.reason,
    deliveries.as_of <= {{ as_of_date() }} as is_on_or_before_as_of,
    -- cadence in days (extracts.md): monthly courts and providers, quarterly state, program "when it changes"
    case
        when deliveries.source_id like 'court-%' or deliveries.source_id like 'provider-%' then 31
        when deliveries.source_id = 'dcjs' then 92
    end as cadence_days,
    coalesce(files.files, 0) as files,
    case when deliveries.status = 'rejected' then coalesce(files.files, 0) else 0 end as files_rejected,
    case when deliveries.status = 'accepted' then coalesce(rejected.rejected_rows, 0) else 0 end as rows_rejected,
    case when deliveries.status = 'accepted'
         then coalesce(deliveries.rows_loaded, 0) + coalesce(rejected.rejected_rows, 0) else 0 end as rows_received
from deliveries
left join files using (delivery_key)
left join rejected using (delivery_key)
