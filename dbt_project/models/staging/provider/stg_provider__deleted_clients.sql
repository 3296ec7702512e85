-- One row per client record (provider_id, client_id) whose winning version as of A is DELETED
-- (entered in error): the client and every record of it count nowhere.
with

-- source, winners (the winning version per key, DELETED ones included):
-- macros/staging/provider_latest_versions.sql
{{ provider_latest_versions('provider__clients', 'client_id', drop_deleted_clients=false) }},

renamed as (
    select
        cast(provider_id as varchar) as provider_id,
        cast(client_id as varchar) as client_id,
        cast(updated_at as timestamp) as updated_at,
        _delivery_key
    from winners
    where upper(record_status) = 'DELETED'
)

select * from renamed
