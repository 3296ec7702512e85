{#- Prostitution-related charge codes (extracts.md, Charge codes), as a SQL tuple. -#}
{% macro prostitution_charges() -%}
    ('PL 230.00', 'PL 230.03', 'PL 240.37', 'ED 6512')
{%- endmacro %}
