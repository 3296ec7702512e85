-- One row per exits record (provider_id, client_id) as of A: every accepted delivery with
-- as_of <= A + grace_days, the latest updated_at wins (ties: the later delivery); DELETED
-- winners and every record of a deleted client dropped; records dated (exit_date) after A dropped.
with

source as (
    select *
    from {{ source('raw', 'provider__exits') }}
    where cast(_as_of as date) <= {{ delivery_cutoff_date() }}
),

latest as (
    select *
    from source
    qualify {{ provider_latest_wins('client_id') }}
),

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
),

deleted_clients as (
    select provider_id, client_id from {{ ref('stg_provider__deleted_clients') }}
)

select renamed.*
from renamed
where coalesce(upper(renamed.record_status), '') <> 'DELETED'
  and renamed.exit_date <= {{ as_of_date() }}
  and not exists (
      select 1 from deleted_clients as d
      where d.provider_id = renamed.provider_id and d.client_id = renamed.client_id
  )
