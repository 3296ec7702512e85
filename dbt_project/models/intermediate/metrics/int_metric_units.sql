{{ config(materialized='view') }}
{#-
  The unit rows every unit-based metric (macros/metrics/metric_registry.sql) is estimated from: one
  row per counted unit (case, client, pair, referral, exit, ...) as in metric_units(), once overall
  and once per breakdown value for metrics that have breakdowns (per domain for
  g3_need_referred_60d; per provider for G2, G3, G5, G6), in its cohort quarter. x, w: see
  metric_units.sql. Read by the estimator models int_metrics_*.

  Pooled periods (metrics.md v2): the same units again under the period labels that contain their
  quarter, so that every estimator pools them as it pools a quarter (numerators and denominators
  add; medians and means on the pooled units):
    '<Q>-R4'  the four cohort quarters ending with Q, overall only;
    '<YYYY>'  the calendar year's four quarters, overall and every breakdown.
  A period is reported only when all its quarters are (docs/metrics.md, "Pooled periods"): its
  last quarter is mature (last day + the metric's window <= A; without a window, the quarter is
  not after A's quarter), and its first quarter is not before the metric's first cohort with units
  (per population): a quarter inside that span without units counts as reported, with none.
  Survival, G7 and the G9 ledger metrics have no pooled periods (has_periods false).
-#}

with

units as (
    {%- for m in metric_registry() if m.relation is defined %}
    {% if not loop.first %}union all{% endif %}
    {{ metric_units(m.id, m.goal, m.kind, ref(m.relation), m.where, m.x,
                    w=m.get('w', '1'), cohort=m.get('cohort', 'cohort'),
                    breakdowns=m.get('breakdowns', true), domain=m.get('domain'),
                    window=m.get('window'), provider=m.get('provider'),
                    periods=m.get('periods', m.kind in ['rate', 'duration', 'mean'])) }}
    {%- endfor %}
),

quarterly as (
    select metric_id, goal, metric_kind, population, cohort,
           'overall' as breakdown, 'all' as breakdown_value, window_days, has_periods, x, w
    from units
    {%- for b in breakdown_columns() %}
    union all
    select metric_id, goal, metric_kind, population, cohort,
           '{{ b }}' as breakdown, coalesce({{ b }}, 'unknown') as breakdown_value, window_days, has_periods, x, w
    from units
    where has_breakdowns
    {%- endfor %}
    union all
    select metric_id, goal, metric_kind, population, cohort,
           'domain' as breakdown, domain as breakdown_value, window_days, has_periods, x, w
    from units
    where domain is not null
    union all
    select metric_id, goal, metric_kind, population, cohort,
           'provider' as breakdown, coalesce(provider, 'none') as breakdown_value, window_days, has_periods, x, w
    from units
    where provider is not null
),

-- quarters as integers (year * 4 + quarter - 1): consecutive quarters differ by 1
poolable as (
    select *, {{ quarter_index('cohort') }} as q
    from quarterly
    where has_periods
),

first_quarters as (
    select metric_id, population, min(q) as first_q
    from poolable
    where breakdown = 'overall'
    group by all
),

-- every period a unit's quarter belongs to, with the period's first and last quarter
memberships as (
    select p.*, p.q + k.k as last_q, p.q + k.k - 3 as period_first_q,
           {{ quarter_index_label('p.q + k.k') }} || '-R4' as period
    from poolable as p
    cross join (select unnest(range(4)) as k) as k
    where p.breakdown = 'overall'
    union all
    select p.*, (p.q // 4) * 4 + 3 as last_q, (p.q // 4) * 4 as period_first_q,
           substr(p.cohort, 1, 4) as period
    from poolable as p
),

periods as (
    select m.metric_id, m.goal, m.metric_kind, m.population, m.period as cohort,
           m.breakdown, m.breakdown_value, m.x, m.w
    from memberships as m
    inner join first_quarters as f using (metric_id, population)
    where m.period_first_q >= f.first_q
      and case when m.window_days is null
               then m.last_q <= {{ quarter_index(quarter_label(as_of_date())) }}
               else {{ quarter_index_end('m.last_q') }} + m.window_days <= {{ as_of_date() }} end
)

select metric_id, goal, metric_kind, population, cohort, breakdown, breakdown_value, x, w
from quarterly
union all
select metric_id, goal, metric_kind, population, cohort, breakdown, breakdown_value, x, w
from periods
