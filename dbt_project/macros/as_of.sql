{#- The "as of A" helpers every staging model uses (metrics.md, Terms). -#}

{#- A, the as-of date, from the dbt var `as_of` (validated: YYYY-MM-DD). -#}
{% macro as_of_date() -%}
    {%- set a = var('as_of') | string -%}
    {%- if not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', a) -%}
        {{ exceptions.raise_compiler_error("var 'as_of' must be an ISO date YYYY-MM-DD, got: " ~ a) }}
    {%- endif -%}
    cast('{{ a }}' as date)
{%- endmacro %}

{#- A + grace_days: the latest delivery as-of date that may inform a figure as of A. -#}
{% macro delivery_cutoff_date() -%}
    cast({{ dbt.dateadd('day', var('grace_days') | int, as_of_date()) }} as date)
{%- endmacro %}
