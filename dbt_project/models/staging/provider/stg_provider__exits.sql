-- One row per exits record (provider_id, client_id) as of A: every accepted delivery with
-- as_of <= A + grace_days, the latest updated_at wins (ties: the later delivery, then the later row); DELETED
-- winners and every record of a deleted client dropped; records dated (exit_date) after A dropped.
with

-- source, winners, latest (the versions that count as of A): macros/staging/provider_latest_versions.sql
{{ provider_latest_versions('provider__exits', 'client_id') }},

renamed as (
    select
        -- ids
        cast(provider_id as varchar) as provider_id,
        cast(client_id as varchar) as client_id,
        -- dates
        cast(exit_date as date) as exit_date,
        cast(updated_at as timestamp) as updated_at,
        -- codes
        cast(exit_reason as varchar) as exit_reason,
        cast(survey_helpfulness as integer) as survey_helpfulness,
        cast(survey_would_recommend as varchar) as survey_would_recommend,
        cast(record_status as varchar) as record_status,
        -- lineage
        _delivery_key,
        cast(_as_of as date) as _as_of
    from latest
)

select * from renamed
where exit_date <= {{ as_of_date() }}
