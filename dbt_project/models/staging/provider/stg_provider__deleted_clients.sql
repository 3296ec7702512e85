-- One row per client record (provider_id, client_id) whose winning version as of A is DELETED
-- (entered in error): the client and every record of it count nowhere.
with

source as (
    select *
    from {{ source('raw', 'provider__clients') }}
    where cast(_as_of as date) <= {{ delivery_cutoff_date() }}
),

latest as (
    select *
    from source
    qualify {{ provider_latest_wins('client_id') }}
),

renamed as (
    select
        cast(provider_id as varchar) as provider_id,
        cast(client_id as varchar) as client_id,
        cast(updated_at as timestamp) as updated_at,
        _delivery_key
    from latest
    where upper(record_status) = 'DELETED'
)

select * from renamed
