{{ config(materialized='view') }}
{#-
  Every metric id analytics.metrics can publish, whatever the data (macros/metrics/metric_registry.sql):
  goal, kind and whether its counts are about people. tests/metric_catalogue_matches_registry.sql
  holds it equal to seeds/metric_catalogue.csv.
-#}

select
    cast(metric_id as varchar) as metric_id,
    cast(goal as varchar) as goal,
    cast(metric_kind as varchar) as metric_kind,
    cast(counts_people as boolean) as counts_people
from (values
    {%- for m in metric_registry() %}
    {%- set outer = loop %}
    {%- for metric_id in published_metric_ids(m) %}
    ('{{ metric_id }}', '{{ m.goal }}', '{{ m.kind }}', {{ 'true' if m.get('counts_people', true) else 'false' }})
    {%- if not (outer.last and loop.last) %},{% endif %}
    {%- endfor %}
    {%- endfor %}
) as registry(metric_id, goal, metric_kind, counts_people)
