-- One row per referrals record (provider_id, referral_id) as of A: every accepted delivery with
-- as_of <= A + grace_days, the latest updated_at wins (ties: the later delivery, then the later row); DELETED
-- winners and every record of a deleted client dropped; records dated (referral_date) after A dropped.
with

-- source, winners, latest (the versions that count as of A): macros/staging/provider_latest_versions.sql
{{ provider_latest_versions('provider__referrals', 'referral_id') }},

renamed as (
    select
        -- ids
        cast(provider_id as varchar) as provider_id,
        cast(referral_id as varchar) as referral_id,
        cast(client_id as varchar) as client_id,
        -- dates
        cast(referral_date as date) as referral_date,
        cast(status_date as date) as status_date,
        cast(updated_at as timestamp) as updated_at,
        -- codes
        cast(domain as varchar) as domain,
        cast(status as varchar) as status,
        cast(record_status as varchar) as record_status,
        -- free text (restricted: never published)
        cast(partner as varchar) as partner,
        -- lineage
        _delivery_key,
        cast(_as_of as date) as _as_of
    from latest
)

select * from renamed
where referral_date <= {{ as_of_date() }}
