{#-
  One row per case (court, docket) in the court snapshot as of A: its person, population on A,
  cohorts, mandate and service timeline, disposition path, sealing, warrants, arrest history and
  breakdown attributes. The base of every case metric (metrics.md). Restricted store: carries
  identifiers (docket, defendant, nysid, birth date); marts pseudonymise.
-#}
with

cases as (
    select * from {{ ref('stg_court__cases') }}
),

defendants as (
    select * from {{ ref('stg_court__defendants') }}
),

events as (
    select * from {{ ref('stg_court__events') }}
),

event_summary as (
    select
        events.court_id,
        events.docket_id,
        count(*) filter (where events.event_type = 'RESTORED') as restored_events,
        min(events.event_date) filter (
            where events.event_type = 'WARRANT_ISSUED'
              and events.event_date >= cases.htic_referral_date
        ) as first_warrant_after_referral_date,
        count(*) filter (where events.event_type = 'WARRANT_ISSUED') as warrant_events
    from events
    inner join cases using (court_id, docket_id)
    group by 1, 2
),

base as (
    select
        -- ids
        cases.court_id,
        cases.docket_id,
        cases.defendant_id,
        defendants.nysid,
        coalesce(defendants.nysid, cases.court_id || ':' || cases.defendant_id) as person_id,
        cases.arrest_id,
        -- dates
        cases.arrest_date,
        cases.arraignment_date,
        cases.htic_referral_date,
        cases.disposition_date,
        cases.sealed_date,
        defendants.dob,
        -- codes
        cases.top_charge,
        cases.disposition,
        cases.sealed,
        cases.mandate_sessions,
        defendants.sex,
        -- population on A (metrics.md, Terms)
        case
            when cases.htic_referral_date is not null and cases.htic_referral_date <= {{ as_of_date() }} then 'htic'
            when cases.htic_referral_date is null and cases.arraignment_date <= {{ as_of_date() }} then 'comparison'
            else 'neither'
        end as population,
        -- breakdown attributes
        {{ age_on('defendants.dob', 'cases.arraignment_date') }} as age_at_arraignment,
        coalesce(nullif(trim(defendants.gender_identity), ''), 'UNKNOWN') as gender_identity,
        coalesce(nullif(trim(defendants.race), ''), 'UNKNOWN') as race,
        coalesce(nullif(trim(defendants.ethnicity), ''), 'UNKNOWN') as ethnicity,
        {{ language_group('defendants.primary_language') }} as primary_language
    from cases
    left join defendants
        on defendants.court_id = cases.court_id
       and defendants.defendant_id = cases.defendant_id
),

-- other dockets of the same person (any court) referred to an HTIC, for the 12-month return
returns as (
    select
        base.court_id,
        base.docket_id,
        min(other.htic_referral_date) as next_htic_referral_date
    from base
    inner join base as other
        on other.person_id = base.person_id
       and not (other.court_id = base.court_id and other.docket_id = base.docket_id)
       and other.htic_referral_date > base.htic_referral_date
       and other.htic_referral_date <= {{ as_of_date() }}
    group by 1, 2
)

select
    base.court_id,
    base.docket_id,
    base.defendant_id,
    base.nysid,
    base.person_id,
    base.nysid is not null as has_nysid,
    base.arrest_id,
    base.population,
    -- cohorts: referral quarter (HTIC), arraignment quarter (comparison)
    case base.population
        when 'htic' then {{ quarter_label('base.htic_referral_date') }}
        when 'comparison' then {{ quarter_label('base.arraignment_date') }}
    end as cohort,
    case base.population
        when 'htic' then base.htic_referral_date
        when 'comparison' then base.arraignment_date
    end as cohort_anchor_date,
    {{ quarter_label('base.disposition_date') }} as disposition_cohort,
    cast(year(base.disposition_date) as varchar) as disposition_year,
    -- dates
    base.arrest_date,
    base.arraignment_date,
    base.htic_referral_date,
    base.dob,
    base.top_charge,
    -- mandate and services
    base.mandate_sessions,
    coalesce(base.mandate_sessions, 0) > 0 as is_mandated,
    coalesce(services.linked_clients, 0) as linked_clients,
    coalesce(services.linked_clients_with_intake, 0) as linked_clients_with_intake,
    services.first_linked_intake_date,
    services.first_attended_date,
    coalesce(services.credited_attended_sessions, 0) as credited_attended_sessions,
    coalesce(services.attended_180d, 0) as attended_180d,
    coalesce(services.no_show_180d, 0) as no_show_180d,
    coalesce(services.credited_attended_180d, 0) as credited_attended_180d,
    services.completion_date,
    services.first_voluntary_session_date,
    -- disposition path (state on A: staging nulls a disposition dated after A)
    base.disposition,
    base.disposition_date,
    base.disposition_date is not null as is_disposed,
    base.disposition_date is not null
        and coalesce(base.disposition not in ('TRANSFERRED', 'ABATED'), false) as is_disposed_on_merits,
    base.disposition_date is not null
        and coalesce(base.disposition in ('ACD', 'DISMISSED', 'PLEA_VIOLATION', 'ACQUITTED'), false) as is_noncriminal,
    coalesce(events.restored_events, 0) as restored_events,
    coalesce(events.restored_events, 0) > 0 as was_restored,
    -- sealing
    base.sealed,
    base.sealed_date,
    base.sealed = 'Y'
        and base.disposition_date is not null
        and coalesce({{ within_days('base.sealed_date', 'base.disposition_date', 365) }}, false) as sealed_within_1y,
    -- warrants
    coalesce(events.warrant_events, 0) as warrant_events,
    events.first_warrant_after_referral_date,
    -- state arrest history
    arrests.state_data_begin,
    arrests.prior_arrests_3y,
    case
        when arrests.prior_arrests_3y is null then 'unknown'
        when arrests.prior_arrests_3y = 0 then '0'
        when arrests.prior_arrests_3y <= 2 then '1-2'
        else '3+'
    end as prior_arrests,
    arrests.first_rearrest_date,
    arrests.first_prostitution_rearrest_date,
    returns.next_htic_referral_date,
    -- breakdown attributes
    base.age_at_arraignment,
    {{ age_band('base.age_at_arraignment') }} as age_band,
    base.sex,
    base.gender_identity,
    base.race,
    base.ethnicity,
    base.primary_language
from base
left join event_summary as events using (court_id, docket_id)
left join {{ ref('int_case_service_timelines') }} as services using (court_id, docket_id)
left join {{ ref('int_case_arrest_histories') }} as arrests using (court_id, docket_id)
left join returns using (court_id, docket_id)
