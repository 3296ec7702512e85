-- One row per accepted court snapshot (delivery version) with as_of <= A + grace_days.
-- `is_current` marks, per court, the latest one: the state of that court as of A.
with

deliveries as (
    {{ accepted_deliveries("source_id like 'court-%'") }}
),

renamed as (
    select
        -- ids
        entity_id as court_id,
        delivery_key,
        -- dates
        as_of as snapshot_as_of,
        version as snapshot_version,
        -- flags
        delivery_rank = 1 as is_current
    from deliveries
)

select * from renamed
