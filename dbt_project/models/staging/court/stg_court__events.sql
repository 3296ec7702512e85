-- One row per court event (court_id, docket_id, event_seq) of the dockets in stg_court__cases,
-- from the court's current snapshot; events dated after A are dropped. Where the current snapshot
-- rejected an event row of a docket (record_key = the docket, or starting with it) or the docket's
-- case row, the docket's other events of its last accepted snapshot fill in what is missing.
with

-- snapshots, source, current_rows: macros/staging/court_snapshot_state.sql
{{ court_snapshot_rows('court__events') }},

cases as (
    select court_id, docket_id from {{ ref('stg_court__cases') }}
),

rejected_in_current as (
    select distinct s.court_id, rj.record_key, {{ rejected_table_name('rj.table_name') }} as table_name
    from {{ source('raw', 'rejected_rows') }} as rj
    inner join snapshots as s on rj.delivery_key = s.delivery_key and s.is_current
    where {{ rejected_table_name('rj.table_name') }} in ('events', 'cases')
      and rj.record_key is not null
),

affected_dockets as (
    select distinct e.court_id, e.docket_id
    from (select distinct court_id, docket_id from source) as e
    inner join rejected_in_current as rj
        on e.court_id = rj.court_id
       and (rj.record_key = e.docket_id
            or (rj.table_name = 'events' and starts_with(rj.record_key, e.docket_id)))
),

last_accepted_events as (
    -- every event of an affected docket in the last older snapshot that carried the docket
    select src.*
    from source as src
    inner join affected_dockets as d
        on src.court_id = d.court_id and src.docket_id = d.docket_id
    where not src.is_current
    qualify src.snapshot_as_of = max(src.snapshot_as_of) over (partition by src.court_id, src.docket_id)
),

kept_from_earlier as (
    select l.*
    from last_accepted_events as l
    where not exists (
        select 1 from current_rows as c
        where c.court_id = l.court_id and c.docket_id = l.docket_id and c.event_seq = l.event_seq
    )
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
        cast(event_seq as integer) as event_seq,
        -- dates
        cast(event_date as date) as event_date,
        -- codes
        cast(event_type as varchar) as event_type,
        -- flags
        is_kept_from_earlier_snapshot,
        -- lineage
        _delivery_key,
        cast(_as_of as date) as _as_of
    from state
)

select renamed.*
from renamed
inner join cases using (court_id, docket_id)
where renamed.event_date <= {{ as_of_date() }}
