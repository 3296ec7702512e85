-- One row per client record (provider_id, client_id) as of A: every accepted delivery with
-- as_of <= A + grace_days, the latest updated_at wins (ties: the later delivery, then the later row); DELETED winners
-- dropped; intakes after A dropped. Adds the standardised forms used by linkage:
-- docket_ref_normalized (upper case, no spaces, `CR-` prefix) and standardised names.
with

-- source, winners, latest (the versions that count as of A): macros/staging/provider_latest_versions.sql
{{ provider_latest_versions('provider__clients', 'client_id', drop_deleted_clients=false) }},

renamed as (
    select
        -- ids
        cast(provider_id as varchar) as provider_id,
        cast(client_id as varchar) as client_id,
        cast(court_id as varchar) as court_id,
        cast(docket_ref as varchar) as docket_ref,
        {{ normalize_docket('docket_ref') }} as docket_ref_normalized,
        -- identifiers used for linkage (restricted)
        cast(first_name as varchar) as first_name,
        cast(last_name as varchar) as last_name,
        {{ std_name('first_name') }} as first_name_std,
        {{ std_name('last_name') }} as last_name_std,
        cast(dob as date) as dob,
        -- dates
        cast(intake_date as date) as intake_date,
        cast(updated_at as timestamp) as updated_at,
        -- codes
        cast(referral_source as varchar) as referral_source,
        cast(record_status as varchar) as record_status,
        -- lineage
        _delivery_key,
        cast(_as_of as date) as _as_of
    from latest
)

select * from renamed
where intake_date <= {{ as_of_date() }}
