-- The programme's targets as of A (extracts.md, targets.csv): every row of the latest accepted
-- program delivery with as_of <= A + grace_days that carried targets.csv (the latest delivered
-- file is the whole current list; a delivery without the file leaves it unchanged; no file ever
-- delivered: no rows). Each row is one target with the date from which it is in force; the one in
-- force on a date is the row with the latest effective_from on or before it. `set_by` and `note`
-- are free text: they stay in raw (restricted store) and are not selected here.
with

snapshot as (
    {{ accepted_deliveries("source_id = 'program' and delivery_key in (select delivery_key from "
                           ~ source('raw', 'delivery_files') ~ " where file_name = 'targets.csv')") }}
),

source as (
    select r.*
    from {{ source('raw', 'program__targets') }} as r
    inner join snapshot as s
        on r._delivery_key = s.delivery_key and s.delivery_rank = 1
),

renamed as (
    select
        -- ids
        cast(metric_id as varchar) as metric_id,
        cast(population as varchar) as population,
        -- the target, in the metric's own unit, and the side that is good
        cast(target as double) as target,
        cast(direction as varchar) as direction,
        -- dates
        cast(effective_from as date) as effective_from,
        -- lineage
        _delivery_key,
        cast(_as_of as date) as _as_of
    from source
)

select * from renamed
