-- One row per court: the latest accepted program delivery with as_of <= A + grace_days.
-- An htic_end_date after A reads as null (still running on A).
with

snapshot as (
    {{ accepted_deliveries("source_id = 'program'") }}
),

source as (
    select r.*
    from {{ source('raw', 'program__courts') }} as r
    inner join snapshot as s
        on r._delivery_key = s.delivery_key and s.delivery_rank = 1
),

renamed as (
    select
        -- ids
        cast(court_id as varchar) as court_id,
        -- attributes
        cast(court_name as varchar) as court_name,
        cast(county as varchar) as county,
        -- dates
        cast(htic_start_date as date) as htic_start_date,
        case when cast(htic_end_date as date) > {{ as_of_date() }} then null
             else cast(htic_end_date as date) end as htic_end_date,
        -- lineage
        _delivery_key,
        cast(_as_of as date) as _as_of
    from source
)

select * from renamed
