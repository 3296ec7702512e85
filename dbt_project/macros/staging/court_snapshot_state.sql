{#- Court snapshot state (docs/architecture.md "dbt"; metrics.md "Terms"; extracts.md, court).

    A court sends whole snapshots: the state as of A is the court's current snapshot
    (stg_court__snapshots.is_current: the latest accepted one with as_of <= A + grace_days), and a
    key absent from it counts nowhere. A row that snapshot carried but validation rejected
    (raw.rejected_rows, matched on record_key) is not a removal: the key keeps its last accepted row,
    from the newest older snapshot that carried it. The court staging models share this, so it is
    written once here; each model keeps its own columns and "as of A" rules in its `renamed` CTE. -#}

{#- CTEs `snapshots` (stg_court__snapshots), `source` (every row of raw.<raw_table> from an accepted
    snapshot, with the snapshot's snapshot_as_of and is_current) and `current_rows` (those of the
    current snapshot). -#}
{% macro court_snapshot_rows(raw_table) -%}
snapshots as (
    select * from {{ ref('stg_court__snapshots') }}
),

source as (
    select r.*, s.snapshot_as_of, s.is_current
    from {{ source('raw', raw_table) }} as r
    inner join snapshots as s on r._delivery_key = s.delivery_key
),

current_rows as (
    select * from source where is_current
)
{%- endmacro %}

{#- The CTEs above, then `rejected_in_current` (keys (court_id, key_column) whose row in table
    rejected_table — as rejected_table_name() reads raw.rejected_rows.table_name — the current
    snapshot rejected), `kept_from_earlier` (for each such key not in the current rows: its row in
    the newest older snapshot, latest _version) and `state` (current rows plus those kept rows, with
    is_kept_from_earlier_snapshot). One row per key when the raw table has one row per key and
    snapshot. For tables keyed by court_id and one column that record_key names (cases: docket_id;
    defendants: defendant_id); events, whose rejections act per docket, have their own rule. -#}
{% macro court_snapshot_state(raw_table, rejected_table, key_column) -%}
{{ court_snapshot_rows(raw_table) }},

rejected_in_current as (
    select distinct s.court_id, rj.record_key as {{ key_column }}
    from {{ source('raw', 'rejected_rows') }} as rj
    inner join snapshots as s on rj.delivery_key = s.delivery_key and s.is_current
    where {{ rejected_table_name('rj.table_name') }} = '{{ rejected_table }}'
      and rj.record_key is not null
),

kept_from_earlier as (
    select src.*
    from source as src
    inner join rejected_in_current as rj
        on src.court_id = rj.court_id and src.{{ key_column }} = rj.{{ key_column }}
    where not src.is_current
      and not exists (
          select 1 from current_rows as c
          where c.court_id = src.court_id and c.{{ key_column }} = src.{{ key_column }}
      )
    qualify row_number() over (
        partition by src.court_id, src.{{ key_column }}
        order by src.snapshot_as_of desc, src._version desc
    ) = 1
),

state as (
    select *, false as is_kept_from_earlier_snapshot from current_rows
    union all by name
    select *, true as is_kept_from_earlier_snapshot from kept_from_earlier
)
{%- endmacro %}
