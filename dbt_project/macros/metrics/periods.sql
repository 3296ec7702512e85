{#- Calendar helpers for cohorts and windows (metrics.md, Terms). -#}

{#- '2019Q3' for a date (null stays null). -#}
{% macro quarter_label(d) -%}
    case when ({{ d }}) is null then null
         else cast(year({{ d }}) as varchar) || 'Q' || cast(quarter({{ d }}) as varchar) end
{%- endmacro %}

{#- The last day of the quarter named by a label '2019Q3'. -#}
{% macro quarter_label_end(label) -%}
    cast(make_date(cast(substr({{ label }}, 1, 4) as integer),
                   cast(substr({{ label }}, 6, 1) as integer) * 3 - 2, 1)
         + interval 3 month - interval 1 day as date)
{%- endmacro %}

{#- A quarter label '2019Q3' as an integer (year * 4 + quarter - 1): consecutive quarters differ by 1. -#}
{% macro quarter_index(label) -%}
    (cast(substr({{ label }}, 1, 4) as integer) * 4 + cast(substr({{ label }}, 6, 1) as integer) - 1)
{%- endmacro %}

{#- The label '2019Q3' of a quarter index. -#}
{% macro quarter_index_label(q) -%}
    (cast(({{ q }}) // 4 as varchar) || 'Q' || cast(({{ q }}) % 4 + 1 as varchar))
{%- endmacro %}

{#- The last day of the quarter with index q. -#}
{% macro quarter_index_end(q) -%}
    cast(make_date(cast(({{ q }}) // 4 as integer), cast((({{ q }}) % 4) * 3 + 1 as integer), 1)
         + interval 3 month - interval 1 day as date)
{%- endmacro %}

{#- "within N days after X": X <= d <= X + N (day 0 counts). -#}
{% macro within_days(d, x, n) -%}
    (({{ d }}) >= ({{ x }}) and ({{ d }}) <= cast(({{ x }}) + {{ n }} as date))
{%- endmacro %}

{#- Rearrest windows: (X, X + N]. -#}
{% macro within_days_after(d, x, n) -%}
    (({{ d }}) > ({{ x }}) and ({{ d }}) <= cast(({{ x }}) + {{ n }} as date))
{%- endmacro %}

{#- Whole years of age on a date. -#}
{% macro age_on(dob, d) -%}
    case when ({{ dob }}) is null or ({{ d }}) is null then null
         else date_diff('year', cast({{ dob }} as date), cast({{ d }} as date))
              - case when strftime(cast({{ d }} as date), '%m-%d') < strftime(cast({{ dob }} as date), '%m-%d')
                     then 1 else 0 end end
{%- endmacro %}

{#- Age bands at arraignment (metrics.md, Breakdowns); ages under 16 or unknown -> 'unknown'. -#}
{% macro age_band(age) -%}
    case when ({{ age }}) is null then 'unknown'
         when ({{ age }}) between 16 and 17 then '16-17'
         when ({{ age }}) between 18 and 24 then '18-24'
         when ({{ age }}) between 25 and 34 then '25-34'
         when ({{ age }}) between 35 and 44 then '35-44'
         when ({{ age }}) >= 45 then '45+'
         else 'unknown' end
{%- endmacro %}

{#- Primary language (ISO 639-1) -> en, es, zh, ko, other, unknown. -#}
{% macro language_group(code) -%}
    case when nullif(trim(lower({{ code }})), '') is null then 'unknown'
         when trim(lower({{ code }})) in ('en', 'es', 'zh', 'ko') then trim(lower({{ code }}))
         else 'other' end
{%- endmacro %}
