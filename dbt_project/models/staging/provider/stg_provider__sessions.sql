-- One row per sessions record (provider_id, session_id) as of A: every accepted delivery with
-- as_of <= A + grace_days, the latest updated_at wins (ties: the later delivery); DELETED
-- winners and every record of a deleted client dropped; records dated (session_date) after A dropped.
with

source as (
    select *
    from {{ source('raw', 'provider__sessions') }}
    where cast(_as_of as date) <= {{ delivery_cutoff_date() }}
),

latest as (
    select *
    from source
    qualify {{ provider_latest_wins('session_id') }}
),

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
),

deleted_clients as (
    select provider_id, client_id from {{ ref('stg_provider__deleted_clients') }}
)

select renamed.*
from renamed
where coalesce(upper(renamed.record_status), '') <> 'DELETED'
  and renamed.session_date <= {{ as_of_date() }}
  and not exists (
      select 1 from deleted_clients as d
      where d.provider_id = renamed.provider_id and d.client_id = renamed.client_id
  )
