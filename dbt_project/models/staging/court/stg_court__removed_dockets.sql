-- One row per docket removed upstream as of A: present in an earlier accepted snapshot of its
-- court, absent from the current one (neither carried nor rejected there). It counts nowhere in
-- the current state; its history stays in raw. A data-quality event (metrics g9).
with

snapshots as (
    select * from {{ ref('stg_court__snapshots') }}
),

current_snapshot as (
    select court_id, delivery_key, snapshot_as_of from snapshots where is_current
),

seen as (
    select
        r.court_id,
        r.docket_id,
        r.defendant_id,
        s.snapshot_as_of
    from {{ source('raw', 'court__cases') }} as r
    inner join snapshots as s on r._delivery_key = s.delivery_key
    where not s.is_current
),

current_state as (
    select court_id, docket_id from {{ ref('stg_court__cases') }}
),

removed as (
    select
        seen.court_id,
        seen.docket_id,
        arg_max(seen.defendant_id, seen.snapshot_as_of) as defendant_id,
        min(seen.snapshot_as_of) as first_seen_as_of,
        max(seen.snapshot_as_of) as last_seen_as_of
    from seen
    where not exists (
        select 1 from current_state as c
        where c.court_id = seen.court_id and c.docket_id = seen.docket_id
    )
    group by 1, 2
),

renamed as (
    select
        -- ids
        removed.court_id,
        removed.docket_id,
        removed.defendant_id,
        -- dates
        removed.first_seen_as_of,
        removed.last_seen_as_of,
        (select min(s.snapshot_as_of) from snapshots as s
          where s.court_id = removed.court_id and s.snapshot_as_of > removed.last_seen_as_of)
            as removed_in_as_of,
        cur.snapshot_as_of as current_snapshot_as_of
    from removed
    inner join current_snapshot as cur on removed.court_id = cur.court_id
)

select * from renamed
