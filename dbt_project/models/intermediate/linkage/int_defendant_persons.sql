-- One row per court defendant (court_id, defendant_id) as of A, with its person (metrics.md, Terms):
-- person_id = the nysid where known (the same nysid in two courts is one person), else
-- court_id || ':' || defendant_id. Court <-> state linkage is by this nysid.
with

defendants as (
    select court_id, defendant_id, nullif(trim(nysid), '') as nysid
    from {{ ref('stg_court__defendants') }}
)

select
    court_id,
    defendant_id,
    nysid,
    coalesce(nysid, court_id || ':' || defendant_id) as person_id
from defendants
