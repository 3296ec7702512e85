-- One row per docket in a court's current snapshot (stg_court__snapshots.is_current), as of A:
--  * a docket whose row the current snapshot carried but validation rejected
--    (raw.rejected_rows.record_key) keeps its last accepted row;
--  * dockets absent from the current snapshot are excluded (see stg_court__removed_dockets);
--  * facts dated after A are not yet true: disposition/disposition_date null when
--    disposition_date > A; sealed = 'N' and sealed_date null when sealed_date > A.
-- State with no date of its own (e.g. an ACD restored between A and A + 45) comes from the snapshot.
with

-- snapshots, source, current_rows, rejected_in_current, kept_from_earlier, state:
-- macros/staging/court_snapshot_state.sql
{{ court_snapshot_state('court__cases', 'cases', 'docket_id') }},

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
