{{ config(materialized='view') }}
{#-
  The unit rows every unit-based metric (macros/metrics/metric_registry.sql) is estimated from: one
  row per counted unit (case, client, pair, referral, exit, ...) as in metric_units(), once overall
  and once per breakdown value for metrics that have breakdowns (and per domain for
  g3_need_referred_60d). x, w: see metric_units.sql. Read by the estimator models int_metrics_*.
-#}

with

units as (
    {%- for m in metric_registry() if m.relation is defined %}
    {% if not loop.first %}union all{% endif %}
    {{ metric_units(m.id, m.goal, m.kind, ref(m.relation), m.where, m.x,
                    w=m.get('w', '1'), cohort=m.get('cohort', 'cohort'),
                    breakdowns=m.get('breakdowns', true), domain=m.get('domain'),
                    window=m.get('window')) }}
    {%- endfor %}
)

select metric_id, goal, metric_kind, population, cohort,
       'overall' as breakdown, 'all' as breakdown_value, x, w
from units
{%- for b in breakdown_columns() %}
union all
select metric_id, goal, metric_kind, population, cohort,
       '{{ b }}' as breakdown, coalesce({{ b }}, 'unknown') as breakdown_value, x, w
from units
where has_breakdowns
{%- endfor %}
union all
select metric_id, goal, metric_kind, population, cohort,
       'domain' as breakdown, domain as breakdown_value, x, w
from units
where domain is not null
