-- One row per defendant (court_id, defendant_id) in a court's current snapshot, as of A; a
-- defendant whose row the current snapshot rejected keeps its last accepted row.
with

snapshots as (
    select * from {{ ref('stg_court__snapshots') }}
),

source as (
    select r.*, s.snapshot_as_of, s.is_current
    from {{ source('raw', 'court__defendants') }} as r
    inner join snapshots as s on r._delivery_key = s.delivery_key
),

current_rows as (
    select * from source where is_current
),

rejected_in_current as (
    select distinct s.court_id, rj.record_key as defendant_id
    from {{ source('raw', 'rejected_rows') }} as rj
    inner join snapshots as s on rj.delivery_key = s.delivery_key and s.is_current
    where {{ rejected_table_name('rj.table_name') }} = 'defendants'
      and rj.record_key is not null
),

kept_from_earlier as (
    select src.*
    from source as src
    inner join rejected_in_current as rj
        on src.court_id = rj.court_id and src.defendant_id = rj.defendant_id
    where not src.is_current
      and not exists (
          select 1 from current_rows as c
          where c.court_id = src.court_id and c.defendant_id = src.defendant_id
      )
    qualify row_number() over (
        partition by src.court_id, src.defendant_id
        order by src.snapshot_as_of desc, src._version desc
    ) = 1
),

state as (
    select *, false as is_kept_from_earlier_snapshot from current_rows
    union all by name
    select *, true as is_kept_from_earlier_snapshot from kept_from_earlier
),

renamed as (
    select
        -- ids
        cast(court_id as varchar) as court_id,
        cast(defendant_id as varchar) as defendant_id,
        cast(nysid as varchar) as nysid,
        -- identifiers used for linkage (restricted)
        cast(last_name as varchar) as last_name,
        cast(first_name as varchar) as first_name,
        cast(dob as date) as dob,
        -- demographics
        cast(sex as varchar) as sex,
        cast(gender_identity as varchar) as gender_identity,
        cast(race as varchar) as race,
        cast(ethnicity as varchar) as ethnicity,
        cast(primary_language as varchar) as primary_language,
        -- flags
        is_kept_from_earlier_snapshot,
        -- lineage
        _delivery_key,
        cast(_as_of as date) as _as_of
    from state
)

select * from renamed
