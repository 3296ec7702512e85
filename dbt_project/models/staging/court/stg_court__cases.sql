-- One row per docket in a court's current snapshot (stg_court__snapshots.is_current), as of A:
--  * a docket whose row the current snapshot carried but validation rejected
--    (raw.rejected_rows.record_key) keeps its last accepted row;
--  * dockets absent from the current snapshot are excluded (see stg_court__removed_dockets);
--  * facts dated after A are not yet true: disposition/disposition_date null when
--    disposition_date > A; sealed = 'N' and sealed_date null when sealed_date > A.
-- State with no date of its own (e.g. an ACD restored between A and A + 45) comes from the snapshot.
with

snapshots as (
    select * from {{ ref('stg_court__snapshots') }}
),

source as (
    select r.*, s.snapshot_as_of, s.is_current
    from {{ source('raw', 'court__cases') }} as r
    inner join snapshots as s on r._delivery_key = s.delivery_key
),

current_rows as (
    select * from source where is_current
),

rejected_in_current as (
    select distinct s.court_id, rj.record_key as docket_id
    from {{ source('raw', 'rejected_rows') }} as rj
    inner join snapshots as s on rj.delivery_key = s.delivery_key and s.is_current
    where {{ rejected_table_name('rj.table_name') }} = 'cases'
      and rj.record_key is not null
),

kept_from_earlier as (
    select src.*
    from source as src
    inner join rejected_in_current as rj
        on src.court_id = rj.court_id and src.docket_id = rj.docket_id
    where not src.is_current
      and not exists (
          select 1 from current_rows as c
          where c.court_id = src.court_id and c.docket_id = src.docket_id
      )
    qualify row_number() over (
        partition by src.court_id, src.docket_id
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
        cast(docket_id as varchar) as docket_id,
        cast(defendant_id as varchar) as defendant_id,
        cast(arrest_id as varchar) as arrest_id,
        -- dates
        cast(arrest_date as date) as arrest_date,
        cast(arraignment_date as date) as arraignment_date,
        cast(htic_referral_date as date) as htic_referral_date,
        case when cast(disposition_date as date) > {{ as_of_date() }} then null
             else cast(disposition_date as date) end as disposition_date,
        case when cast(sealed_date as date) > {{ as_of_date() }} then null
             else cast(sealed_date as date) end as sealed_date,
        cast(updated_at as timestamp) as updated_at,
        -- codes
        cast(top_charge as varchar) as top_charge,
        case when cast(disposition_date as date) > {{ as_of_date() }} then null
             else cast(disposition as varchar) end as disposition,
        cast(mandate_sessions as integer) as mandate_sessions,
        -- flags
        case when cast(sealed_date as date) > {{ as_of_date() }} then 'N'
             else cast(sealed as varchar) end as sealed,
        is_kept_from_earlier_snapshot,
        -- lineage
        _delivery_key,
        cast(_as_of as date) as _as_of
    from state
)

select * from renamed
