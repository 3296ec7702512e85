{#- Provider record versions as of A (docs/architecture.md "dbt"; metrics.md "Terms";
    extracts.md, provider).

    Providers send changes, not snapshots: a record can arrive again in a later delivery, and more
    than once in one delivery (raw keeps every row). As of A, every accepted delivery with
    as_of <= A + grace_days counts; per key the latest updated_at wins, ties to the later delivery,
    then the later row (provider_latest_wins). A record whose winning version is DELETED
    (entered in error) counts nowhere, nor does any record of a deleted client
    (stg_provider__deleted_clients). Every provider staging model applies this, so it is written
    once here; each model keeps its own columns, and its "dated after A" rule, in its `renamed` CTE
    and final select.

    Emits the CTEs `source` (rows of raw.<raw_table> from deliveries with as_of <= A + grace_days),
    `winners` (the winning version per provider_id and key_columns, DELETED ones included) and
    `latest` (the winners that count: not DELETED and, with drop_deleted_clients, not of a deleted
    client). stg_provider__clients passes drop_deleted_clients=false (its deleted clients are its
    DELETED winners), and stg_provider__deleted_clients reads the DELETED `winners`. -#}
{% macro provider_latest_versions(raw_table, key_columns, drop_deleted_clients=true) -%}
source as (
    select *
    from {{ source('raw', raw_table) }}
    where cast(_as_of as date) <= {{ delivery_cutoff_date() }}
),

winners as (
    select *
    from source
    qualify {{ provider_latest_wins(key_columns) }}
),

latest as (
    select *
    from winners
    where coalesce(upper(record_status), '') <> 'DELETED'
    {%- if drop_deleted_clients %}
      and not exists (
          select 1 from {{ ref('stg_provider__deleted_clients') }} as d
          where d.provider_id = winners.provider_id and d.client_id = winners.client_id
      )
    {%- endif %}
)
{%- endmacro %}
