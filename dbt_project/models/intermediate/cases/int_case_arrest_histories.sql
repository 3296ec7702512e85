{#-
  One row per case (court, docket) with its person's state arrest history around it: prior arrests
  in the three years before the case's arrest, and the first re-arrests after its disposition.
  Arrests come from the state snapshot (dated <= A by staging); an arrest is a fact about the
  person, so it counts even if the docket it opened was removed upstream. The case's own
  `arrest_id` never counts. Restricted store (identifiers).
-#}
with

cases as (
    select
        cases.court_id,
        cases.docket_id,
        defendants.nysid,
        cases.arrest_id,
        cases.arrest_date,
        cases.disposition_date
    from {{ ref('stg_court__cases') }} as cases
    left join {{ ref('stg_court__defendants') }} as defendants
        on defendants.court_id = cases.court_id
       and defendants.defendant_id = cases.defendant_id
),

arrests as (
    select distinct nysid, arrest_id, arrest_date, top_charge
    from {{ ref('stg_dcjs__arrests') }}
    where nysid is not null
),

-- the state data begin three years before the first HTIC start (extracts.md, dcjs)
state_data as (
    select cast(min(htic_start_date) - interval 3 year as date) as state_data_begin
    from {{ ref('stg_program__courts') }}
),

prior as (
    select
        cases.court_id,
        cases.docket_id,
        count(distinct arrests.arrest_id) as prior_arrests_3y
    from cases
    inner join arrests
        on arrests.nysid = cases.nysid
       and arrests.arrest_date < cases.arrest_date
       and arrests.arrest_date >= cast(cases.arrest_date - interval 3 year as date)
       and arrests.arrest_id is distinct from cases.arrest_id
    group by 1, 2
),

rearrests as (
    select
        cases.court_id,
        cases.docket_id,
        min(arrests.arrest_date) as first_rearrest_date,
        min(arrests.arrest_date) filter (
            where arrests.top_charge in {{ prostitution_charges() }}
        ) as first_prostitution_rearrest_date
    from cases
    inner join arrests
        on arrests.nysid = cases.nysid
       and arrests.arrest_date > cases.disposition_date
       and arrests.arrest_id is distinct from cases.arrest_id
    group by 1, 2
)

select
    cases.court_id,
    cases.docket_id,
    state_data.state_data_begin,
    case
        when cases.nysid is null or cases.arrest_date is null then null
        when cast(cases.arrest_date - interval 3 year as date) < state_data.state_data_begin then null
        else coalesce(prior.prior_arrests_3y, 0)
    end as prior_arrests_3y,
    rearrests.first_rearrest_date,
    rearrests.first_prostitution_rearrest_date
from cases
cross join state_data
left join prior using (court_id, docket_id)
left join rearrests using (court_id, docket_id)
