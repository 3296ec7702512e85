-- One row per assessments record (provider_id, assessment_id) as of A: every accepted delivery with
-- as_of <= A + grace_days, the latest updated_at wins (ties: the later delivery, then the later row); DELETED
-- winners and every record of a deleted client dropped; records dated (assessment_date) after A dropped.
with

-- source, winners, latest (the versions that count as of A): macros/staging/provider_latest_versions.sql
{{ provider_latest_versions('provider__assessments', 'assessment_id') }},

renamed as (
    select
        -- ids
        cast(provider_id as varchar) as provider_id,
        cast(assessment_id as varchar) as assessment_id,
        cast(client_id as varchar) as client_id,
        -- dates
        cast(assessment_date as date) as assessment_date,
        cast(updated_at as timestamp) as updated_at,
        -- codes
        cast(domain as varchar) as domain,
        cast(level as varchar) as level,
        cast(record_status as varchar) as record_status,
        -- lineage
        _delivery_key,
        cast(_as_of as date) as _as_of
    from latest
)

select * from renamed
where assessment_date <= {{ as_of_date() }}
