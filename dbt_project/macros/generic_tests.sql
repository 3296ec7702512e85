{#- Generic data tests (no dbt packages available here: see stack-notes). -#}

{#- The combination of `columns` is unique (rows returned = duplicated keys). -#}
{% test unique_key(model, columns) %}
    select {{ columns | join(', ') }}, count(*) as n
    from {{ model }}
    group by {{ columns | join(', ') }}
    having count(*) > 1
{% endtest %}

{#- Every value of `column_name` is in `values` or null. -#}
{% test in_set(model, column_name, values) %}
    select {{ column_name }}
    from {{ model }}
    where {{ column_name }} is not null
      and cast({{ column_name }} as varchar) not in ({% for v in values %}'{{ v }}'{{ "," if not loop.last }}{% endfor %})
{% endtest %}
