{#- Helpers shared by the staging models (docs/architecture.md, "dbt"). -#}

{#- The bare table name of a raw.rejected_rows.table_name value: 'cases', 'court__cases',
    'raw.court__cases' and 'cases.csv' all read as 'cases'. -#}
{% macro rejected_table_name(expr) -%}
    regexp_replace(regexp_replace(regexp_replace(lower({{ expr }}), '\.csv$', ''), '^.*#', ''), '^.*(__|\.)', '')
{%- endmacro %}

{#- Accepted ledger deliveries of one kind of source with as_of <= A + grace_days, newest first
    ranked per entity: `delivery_rank = 1` is the snapshot that is the state as of A. -#}
{% macro accepted_deliveries(source_filter) -%}
    select
        delivery_key,
        source_id,
        entity_id,
        as_of,
        version,
        row_number() over (
            partition by entity_id order by as_of desc, version desc, delivery_key desc
        ) as delivery_rank
    from (
        select
            delivery_key,
            source_id,
            coalesce(entity_id, case when source_id like 'court-%' then substr(source_id, 7)
                                     when source_id like 'provider-%' then substr(source_id, 10) end)
                as entity_id,
            cast(as_of as date) as as_of,
            cast(version as integer) as version
        from {{ source('raw', 'deliveries') }}
        where status = 'accepted'
          and cast(as_of as date) <= {{ delivery_cutoff_date() }}
          and ({{ source_filter }})
    )
{%- endmacro %}

{#- Latest version of a provider record per key: the latest updated_at wins, ties go to the later
    delivery (as_of, then version), then the later row of that delivery (_line: a key may repeat
    within one delivery; for a workbook the sheet row) (extracts.md). Use inside a QUALIFY. -#}
{% macro provider_latest_wins(keys) -%}
    row_number() over (
        partition by provider_id, {{ keys }}
        order by updated_at desc nulls last, _as_of desc, _version desc, _line desc
    ) = 1
{%- endmacro %}
