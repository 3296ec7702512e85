{#- A model's custom schema is used as is (`analytics`, not `main_analytics`): the publish step and
    the evaluators address schema `analytics` by name (docs/architecture.md). -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
