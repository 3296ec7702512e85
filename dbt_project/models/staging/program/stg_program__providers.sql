-- One row per provider and court served: the latest accepted program delivery with
-- as_of <= A + grace_days. A contract_end after A reads as null (still active on A).
with

snapshot as (
    {{ accepted_deliveries("source_id = 'program'") }}
),

source as (
    select r.*
    from {{ source('raw', 'program__providers') }} as r
    inner join snapshot as s
        on r._delivery_key = s.delivery_key and s.delivery_rank = 1
),

renamed as (
    select
        -- ids
        cast(provider_id as varchar) as provider_id,
        cast(court_id as varchar) as court_id,
        -- attributes
        cast(provider_name as varchar) as provider_name,
        cast(capacity as integer) as capacity,
        -- dates
        cast(contract_start as date) as contract_start,
        case when cast(contract_end as date) > {{ as_of_date() }} then null
             else cast(contract_end as date) end as contract_end,
        -- lineage
        _delivery_key,
        cast(_as_of as date) as _as_of
    from source
)

select * from renamed
