-- One row per state arrest (stg_dcjs__arrests, dated <= A) of a court person: court <-> state
-- linkage by nysid. Persons without a nysid cannot be followed for re-arrest.
with

persons as (
    select person_id, nysid from {{ ref('int_persons') }} where has_nysid
),

arrests as (
    select * from {{ ref('stg_dcjs__arrests') }}
)

select
    persons.person_id,
    arrests.nysid,
    arrests.arrest_id,
    arrests.arrest_date,
    arrests.arrest_county,
    arrests.top_charge,
    arrests.offense_level
from arrests
inner join persons on arrests.nysid = persons.nysid
