{#-
  analytics.dim_targets: the programme's targets as known on A (program/targets.csv of the latest
  program delivery with as_of <= A + grace_days that carried the file), one row per metric,
  population and effective_from, with the last day each was in force (effective_to; null while
  it still is). The target in force on a date D is the row with effective_from <= D and
  (effective_to is null or D <= effective_to). No free text (set_by, note stay restricted).
-#}
select
    metric_id,
    population,
    target,
    direction,
    effective_from,
    cast(lead(effective_from) over (partition by metric_id, population order by effective_from)
         - interval 1 day as date) as effective_to,
    {{ as_of_date() }} as as_of
from {{ ref('stg_program__targets') }}
order by metric_id, population, effective_from
