-- The metric catalogue (seeds/metric_catalogue.csv) and the metrics agree on (metric_id, goal,
-- metric_kind, counts_people): the registry (int_metric_registry: every metric the project can
-- publish, whatever the data) equals the catalogue both ways, and every metric published as of A
-- is in the catalogue. Compared with the registry rather than with the rows of A because a small
-- or early world can leave a metric without units (no mature cohort yet): absent, not wrong.
-- Returns one row per disagreement.
with

catalogue as (
    select
        cast(metric_id as varchar) as metric_id,
        cast(goal as varchar) as goal,
        cast(metric_kind as varchar) as metric_kind,
        cast(counts_people as boolean) as counts_people
    from {{ ref('metric_catalogue') }}
),

registry as (
    select metric_id, goal, metric_kind, counts_people
    from {{ ref('int_metric_registry') }}
),

published as (
    select distinct metric_id, goal, metric_kind, counts_people
    from {{ ref('metrics') }}
    where as_of = {{ as_of_date() }}
)

select 'in the registry, not in the catalogue' as disagreement, *
from (select * from registry except select * from catalogue)
union all
select 'in the catalogue, not in the registry', *
from (select * from catalogue except select * from registry)
union all
select 'published as of A, not in the catalogue', *
from (select * from published except select * from catalogue)
