-- One row per sessions record (provider_id, session_id) as of A: every accepted delivery with
-- as_of <= A + grace_days, the latest updated_at wins (ties: the later delivery, then the later row); DELETED
-- winners and every record of a deleted client dropped; records dated (session_date) after A dropped.
with

-- source, winners, latest (the versions that count as of A): macros/staging/provider_latest_versions.sql
{{ provider_latest_versions('provider__sessions', 'session_id') }},

renamed as (
    select
        -- ids
        cast(provider_id as varchar) as provider_id,
        cast(session_id as varchar) as session_id,
        cast(client_id as varchar) as client_id,
        -- dates
        cast(session_date as date) as session_date,
        cast(updated_at as timestamp) as updated_at,
        -- codes
        cast(session_type as varchar) as session_type,
        cast(status as varchar) as status,
        cast(minutes as integer) as minutes,
        -- flags
        cast(mandate_credit as varchar) as mandate_credit,
        cast(record_status as varchar) as record_status,
        -- lineage
        _delivery_key,
        cast(_as_of as date) as _as_of
    from latest
)

select * from renamed
where session_date <= {{ as_of_date() }}
