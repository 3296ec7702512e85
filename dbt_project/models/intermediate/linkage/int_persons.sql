-- One row per person as of A (person_id: the nysid where known, else court_id:defendant_id).
with

defendant_persons as (
    select * from {{ ref('int_defendant_persons') }}
)

select
    person_id,
    max(nysid) as nysid,
    max(nysid) is not null as has_nysid,
    count(*) as defendant_records,
    count(distinct court_id) as courts,
    min(court_id) as first_court_id
from defendant_persons
group by person_id
