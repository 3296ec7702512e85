{#- The adjusted comparison (evaluation.md): one row per HTIC or comparison case on A whose person
    has a nysid and whose disposition as known on A is not TRANSFERRED or ABATED — the treated and
    control pools of both time zeros. Per time zero (first disposition, arraignment): follow-up
    days to A, the binary rearrest outcomes (null while the case's own window has not elapsed)
    and the time to the first rearrest (censored at A). Covariates are known at arraignment only.
    No dates and no identifiers: days, quarter labels and pseudonymous keys. -#}
{%- set windows = [('6m', 182), ('12m', 365), ('24m', 730)] -%}
with

cases as (
    select * from {{ ref('int_case_histories') }}
    where population in ('htic', 'comparison')
      and has_nysid
      and coalesce(disposition not in ('TRANSFERRED', 'ABATED'), true)
),

-- time zero: the first DISPOSITION event (an ACD later restored keeps the ACD's date); a case
-- whose events carry no DISPOSITION falls back to its disposition date (both dated <= A)
first_dispositions as (
    select court_id, docket_id, min(event_date) as first_disposition_date
    from {{ ref('stg_court__events') }}
    where event_type = 'DISPOSITION'
    group by 1, 2
),

timed as (
    select
        cases.*,
        coalesce(first_dispositions.first_disposition_date, cases.disposition_date) as t0_disposition,
        cases.arraignment_date as t0_arraignment
    from cases
    left join first_dispositions using (court_id, docket_id)
),

arrests as (
    select distinct nysid, arrest_id, arrest_date, top_charge
    from {{ ref('stg_dcjs__arrests') }}
    where nysid is not null
),

-- first rearrests after each time zero; an arrest is a fact about the person, the case's own
-- arrest never counts (as G4)
rearrests as (
    select
        timed.court_id,
        timed.docket_id,
        min(arrests.arrest_date) filter (where arrests.arrest_date > timed.t0_disposition) as first_rearrest_after_disposition,
        min(arrests.arrest_date) filter (
            where arrests.arrest_date > timed.t0_disposition
              and arrests.top_charge in {{ prostitution_charges() }}
        ) as first_prostitution_rearrest_after_disposition,
        min(arrests.arrest_date) filter (where arrests.arrest_date > timed.t0_arraignment) as first_rearrest_after_arraignment,
        min(arrests.arrest_date) filter (
            where arrests.arrest_date > timed.t0_arraignment
              and arrests.top_charge in {{ prostitution_charges() }}
        ) as first_prostitution_rearrest_after_arraignment
    from timed
    inner join arrests
        on arrests.nysid = timed.nysid
       and arrests.arrest_id is distinct from timed.arrest_id
       and arrests.arrest_date > least(timed.t0_arraignment, timed.t0_disposition)  -- least() skips nulls
    group by 1, 2
),

-- prostitution-related arrests in [arrest_date - 3 years, arrest_date), own arrest excluded;
-- unknown exactly when the all-charge count is (no arrest date, or before the state data begin)
prior_prostitution as (
    select
        timed.court_id,
        timed.docket_id,
        count(distinct arrests.arrest_id) as prior_prostitution_arrests_3y
    from timed
    inner join arrests
        on arrests.nysid = timed.nysid
       and arrests.arrest_date < timed.arrest_date
       and arrests.arrest_date >= cast(timed.arrest_date - interval 3 year as date)
       and arrests.arrest_id is distinct from timed.arrest_id
       and arrests.top_charge in {{ prostitution_charges() }}
    group by 1, 2
),

joined as (
    select
        timed.*,
        rearrests.first_rearrest_after_disposition,
        rearrests.first_prostitution_rearrest_after_disposition,
        rearrests.first_rearrest_after_arraignment,
        rearrests.first_prostitution_rearrest_after_arraignment,
        case
            when timed.prior_arrests_3y is null then 'unknown'
            when coalesce(prior_prostitution.prior_prostitution_arrests_3y, 0) = 0 then '0'
            else '1+'
        end as prior_prostitution_arrests
    from timed
    left join rearrests using (court_id, docket_id)
    left join prior_prostitution using (court_id, docket_id)
)

select
    -- keys (pseudonymous)
    {{ pseudonymize("joined.court_id || '/' || joined.docket_id") }} as case_key,
    {{ pseudonymize('joined.person_id') }} as person_key,
    {{ as_of_date() }} as as_of,
    -- group: intention to treat (referred to the HTIC part by A)
    joined.population as treatment_group,
    joined.population = 'htic' as referred,
    -- eligibility per time zero
    joined.t0_disposition is not null as eligible_disposition,
    joined.t0_arraignment is not null and joined.t0_arraignment <= {{ as_of_date() }} as eligible_arraignment,
    -- covariates known at arraignment (missing values are a level of their own)
    joined.court_id as court,
    joined.age_band,
    joined.gender_identity,
    joined.race,
    joined.ethnicity,
    joined.prior_arrests,
    joined.prior_prostitution_arrests,
    coalesce(cast(year(joined.arraignment_date) as varchar), 'unknown') as arraignment_year,
    coalesce(nullif(trim(joined.top_charge), ''), 'UNKNOWN') as top_charge,
    -- cohorts
    {{ quarter_label('joined.t0_disposition') }} as disposition_quarter,
    {{ quarter_label('joined.t0_arraignment') }} as arraignment_quarter,
    {% for tz in ['disposition', 'arraignment'] %}
    -- time zero = {{ tz }}: follow-up (t0, A]; binary outcomes null until t0 <= A - N
    {{ as_of_date() }} - joined.t0_{{ tz }} as followup_days_{{ tz }},
    {% for label, days in windows %}
    case when joined.t0_{{ tz }} <= {{ as_of_date() }} - {{ days }}
         then coalesce({{ within_days_after('joined.first_rearrest_after_' ~ tz, 'joined.t0_' ~ tz, days) }}, false)
    end as rearrest_any_{{ label }}_{{ tz }},
    {% endfor %}
    case when joined.t0_{{ tz }} <= {{ as_of_date() }} - 365
         then coalesce({{ within_days_after('joined.first_prostitution_rearrest_after_' ~ tz, 'joined.t0_' ~ tz, 365) }}, false)
    end as rearrest_prostitution_12m_{{ tz }},
    coalesce(joined.first_rearrest_after_{{ tz }}, {{ as_of_date() }}) - joined.t0_{{ tz }} as time_to_rearrest_any_{{ tz }},
    joined.first_rearrest_after_{{ tz }} is not null as rearrest_event_{{ tz }}{{ ',' if not loop.last }}
    {% endfor %}
from joined
