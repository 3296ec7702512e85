-- One row per defendant (court_id, defendant_id) in a court's current snapshot, as of A; a
-- defendant whose row the current snapshot rejected keeps its last accepted row.
with

-- snapshots, source, current_rows, rejected_in_current, kept_from_earlier, state:
-- macros/staging/court_snapshot_state.sql
{{ court_snapshot_state('court__defendants', 'defendants', 'defendant_id') }},

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
