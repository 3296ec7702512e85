{#-
  One "unit row" per counted unit of a metric (case, client, pair, referral, exit, ...), in the
  common shape the estimator models aggregate (models/intermediate/metrics, via int_metric_units):
    metric_id, goal, metric_kind, population, cohort, has_breakdowns, domain, <breakdown columns>,
    provider, window_days, has_periods, x, w
  rate:     x = units in the numerator (0/1, or a count), w = units in the denominator
  duration: x = days,   w = 1
  mean:     x = score,  w = 1
  survival: x = days to first event or censoring, w = 1 if the event was seen
  `window` (days) applies the cohort maturity rule: last day of the cohort quarter + window <= A
  (and is carried as window_days, for the maturity of pooled periods). `provider`: the expression
  of the unit's provider breakdown (G2, G3, G5, G6), or none. `periods`: whether the metric is
  also reported for pooled periods (-R4, calendar year; int_metric_units).
-#}
{% macro metric_units(metric_id, goal, kind, relation, where, x, w='1', cohort='cohort',
                      breakdowns=true, domain=none, window=none, provider=none, periods=true) -%}
    select
        '{{ metric_id }}' as metric_id,
        '{{ goal }}' as goal,
        '{{ kind }}' as metric_kind,
        cast(population as varchar) as population,
        cast({{ cohort }} as varchar) as cohort,
        {{ 'true' if breakdowns else 'false' }} as has_breakdowns,
        cast({{ domain if domain else 'null' }} as varchar) as domain,
        {%- for b in breakdown_columns() %}
        cast({{ b if breakdowns else 'null' }} as varchar) as {{ b }},
        {%- endfor %}
        cast({{ provider if provider else 'null' }} as varchar) as provider,
        cast({{ window if window is not none else 'null' }} as integer) as window_days,
        {{ 'true' if periods else 'false' }} as has_periods,
        cast({{ x }} as double) as x,
        cast({{ w }} as double) as w
    from {{ relation }}
    where ({{ where }})
      and {{ cohort }} is not null
    {%- if window is not none %}
      and {{ cohort_mature(cohort, window) }}
    {%- endif %}
{%- endmacro %}
