{#-
  One row per HTIC case (court, docket) with its linked provider clients' service timeline:
  pooled sessions of every linked client (metrics.md, Linked client), counted from the referral.
  Restricted store (identifiers).
-#}
with

cases as (
    select court_id, docket_id, htic_referral_date, mandate_sessions
    from {{ ref('stg_court__cases') }}
    where htic_referral_date is not null
      and htic_referral_date <= {{ as_of_date() }}
),

links as (
    select distinct court_id, docket_id, provider_id, client_id
    from {{ ref('int_client_case_links') }}
),

clients as (
    select provider_id, client_id, intake_date
    from {{ ref('stg_provider__clients') }}
),

case_links as (
    select
        cases.court_id,
        cases.docket_id,
        count(*) as linked_clients,
        count(*) filter (where clients.intake_date <= {{ as_of_date() }}) as linked_clients_with_intake,
        min(clients.intake_date) as first_linked_intake_date
    from cases
    inner join links using (court_id, docket_id)
    left join clients using (provider_id, client_id)
    group by 1, 2
),

-- every session of a linked client on or after the case's referral (dated <= A by staging)
case_sessions as (
    select
        cases.court_id,
        cases.docket_id,
        cases.htic_referral_date,
        cases.mandate_sessions,
        sessions.provider_id,
        sessions.session_id,
        sessions.session_date,
        sessions.status,
        sessions.mandate_credit
    from cases
    inner join links using (court_id, docket_id)
    inner join {{ ref('stg_provider__sessions') }} as sessions
        on sessions.provider_id = links.provider_id
       and sessions.client_id = links.client_id
    where sessions.session_date >= cases.htic_referral_date
),

credited as (
    select
        court_id,
        docket_id,
        mandate_sessions,
        session_date,
        row_number() over (
            partition by court_id, docket_id
            order by session_date, provider_id, session_id
        ) as credited_seq
    from case_sessions
    where status = 'ATTENDED' and mandate_credit = 'Y'
),

completion as (
    select court_id, docket_id, session_date as completion_date
    from credited
    where mandate_sessions > 0 and credited_seq = mandate_sessions
),

session_stats as (
    select
        court_id,
        docket_id,
        min(session_date) filter (where status = 'ATTENDED') as first_attended_date,
        count(*) filter (where status = 'ATTENDED' and mandate_credit = 'Y') as credited_attended_sessions,
        count(*) filter (where status = 'ATTENDED'
                           and {{ within_days('session_date', 'htic_referral_date', 180) }}) as attended_180d,
        count(*) filter (where status = 'NO_SHOW'
                           and {{ within_days('session_date', 'htic_referral_date', 180) }}) as no_show_180d,
        count(*) filter (where status = 'ATTENDED' and mandate_credit = 'Y'
                           and {{ within_days('session_date', 'htic_referral_date', 180) }}) as credited_attended_180d
    from case_sessions
    group by 1, 2
),

-- any ATTENDED session of a linked client in (completion + 30, completion + 180]
voluntary as (
    select
        completion.court_id,
        completion.docket_id,
        min(sessions.session_date) as first_voluntary_session_date
    from completion
    inner join links using (court_id, docket_id)
    inner join {{ ref('stg_provider__sessions') }} as sessions
        on sessions.provider_id = links.provider_id
       and sessions.client_id = links.client_id
    where sessions.status = 'ATTENDED'
      and sessions.session_date > completion.completion_date + 30
      and sessions.session_date <= completion.completion_date + 180
    group by 1, 2
)

select
    cases.court_id,
    cases.docket_id,
    coalesce(case_links.linked_clients, 0) as linked_clients,
    coalesce(case_links.linked_clients_with_intake, 0) as linked_clients_with_intake,
    case_links.first_linked_intake_date,
    session_stats.first_attended_date,
    coalesce(session_stats.credited_attended_sessions, 0) as credited_attended_sessions,
    coalesce(session_stats.attended_180d, 0) as attended_180d,
    coalesce(session_stats.no_show_180d, 0) as no_show_180d,
    coalesce(session_stats.credited_attended_180d, 0) as credited_attended_180d,
    completion.completion_date,
    voluntary.first_voluntary_session_date
from cases
left join case_links using (court_id, docket_id)
left join session_stats using (court_id, docket_id)
left join completion using (court_id, docket_id)
left join voluntary using (court_id, docket_id)
