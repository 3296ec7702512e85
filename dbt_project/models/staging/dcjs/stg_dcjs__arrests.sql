-- One row per arrest of a requested person (nysid, arrest_id): the latest accepted DCJS snapshot
-- with as_of <= A + grace_days; arrests dated after A are not yet facts on A.
with

snapshot as (
    {{ accepted_deliveries("source_id = 'dcjs'") }}
),

source as (
    select r.*
    from {{ source('raw', 'dcjs__arrests') }} as r
    inner join snapshot as s
        on r._delivery_key = s.delivery_key and s.delivery_rank = 1
),

renamed as (
    select
        -- ids
        cast(nysid as varchar) as nysid,
        cast(arrest_id as varchar) as arrest_id,
        -- dates
        cast(arrest_date as date) as arrest_date,
        -- codes
        cast(arrest_county as varchar) as arrest_county,
        cast(top_charge as varchar) as top_charge,
        cast(offense_level as varchar) as offense_level,
        -- lineage
        _delivery_key,
        cast(_as_of as date) as _as_of
    from source
)

select * from renamed
where arrest_date <= {{ as_of_date() }}
