{#-
  One row per provider client record (provider, client) as of A: intake, exit and survey, its
  links to HTIC cases, and the case that anchors it in client-level metrics (G3, G6): the linked
  HTIC case with the earliest referral (ties: court, docket), whose referral quarter is the
  client's cohort and whose person supplies the client's breakdown attributes.
  Restricted store (identifiers).
-#}
with

clients as (
    select * from {{ ref('stg_provider__clients') }}
),

exits as (
    select * from {{ ref('stg_provider__exits') }}
),

links as (
    select distinct provider_id, client_id, court_id, docket_id, person_id, link_method, match_probability
    from {{ ref('int_client_case_links') }}
),

htic_links as (
    select
        links.provider_id,
        links.client_id,
        links.person_id,
        links.link_method,
        links.match_probability,
        cases.court_id,
        cases.docket_id,
        cases.htic_referral_date,
        row_number() over (
            partition by links.provider_id, links.client_id
            order by cases.htic_referral_date, cases.court_id, cases.docket_id
        ) as anchor_rank,
        count(*) over (partition by links.provider_id, links.client_id) as linked_htic_cases
    from links
    inner join {{ ref('int_case_histories') }} as cases
        on cases.court_id = links.court_id
       and cases.docket_id = links.docket_id
    where cases.population = 'htic'
),

anchor as (
    select * from htic_links where anchor_rank = 1
),

-- the client's court person, also for clients linked to no HTIC case (e.g. people who come on
-- their own after a disposition): docket link first, else a name + date-of-birth match
any_link as (
    select provider_id, client_id, min(person_id) as person_id
    from (
        select provider_id, client_id, person_id from links
        union all
        select dl.provider_id, dl.client_id, dl.person_id
        from {{ ref('int_client_docket_links') }} as dl
        where dl.person_id is not null
          and not exists (select 1 from links as l
                          where l.provider_id = dl.provider_id and l.client_id = dl.client_id)
        union all
        select pm.provider_id, pm.client_id, pm.person_id
        from {{ ref('int_client_person_matches') }} as pm
        where pm.is_link
          and not exists (select 1 from links as l
                          where l.provider_id = pm.provider_id and l.client_id = pm.client_id)
          and not exists (select 1 from {{ ref('int_client_docket_links') }} as dl2
                          where dl2.provider_id = pm.provider_id and dl2.client_id = pm.client_id)
    ) as candidates
    group by 1, 2
),

-- the same person at two providers when neither record matches a court person (people who come
-- on their own): records agreeing exactly on standardised last name, first initial and date of
-- birth are one person (a deliberately strict rule: no fuzzy client-to-client matching)
client_match_keys as (
    select
        clients.provider_id,
        clients.client_id,
        any_link.person_id as court_person_id,
        case when clients.last_name_std is not null and clients.first_name_std is not null
                  and clients.dob is not null
             then clients.last_name_std || '|' || substr(clients.first_name_std, 1, 1) || '|'
                  || cast(clients.dob as varchar) end as match_key
    from clients
    left join any_link
        on any_link.provider_id = clients.provider_id
       and any_link.client_id = clients.client_id
),

client_persons as (
    select
        provider_id,
        client_id,
        coalesce(
            court_person_id,
            case when match_key is not null then
                coalesce(min(court_person_id) over (partition by match_key),
                         'client:' || min(provider_id || ':' || client_id) over (partition by match_key))
            end,
            'client:' || provider_id || ':' || client_id
        ) as person_id
    from client_match_keys
)

select
    -- ids
    clients.provider_id,
    clients.client_id,
    clients.court_id as client_court_id,
    coalesce(anchor.person_id, client_persons.person_id) as person_id,
    anchor.court_id as anchor_court_id,
    anchor.docket_id as anchor_docket_id,
    -- linkage
    anchor.client_id is not null as is_linked_htic,
    coalesce(anchor.linked_htic_cases, 0) as linked_htic_cases,
    anchor.link_method as anchor_link_method,
    anchor.match_probability as anchor_match_probability,
    -- dates and codes
    clients.intake_date,
    {{ quarter_label('clients.intake_date') }} as intake_quarter,
    clients.referral_source,
    exits.exit_date,
    {{ quarter_label('exits.exit_date') }} as exit_quarter,
    exits.exit_reason,
    exits.survey_helpfulness,
    exits.survey_would_recommend,
    -- cohort of client-level metrics: quarter of the earliest referral among linked HTIC cases
    anchor.htic_referral_date as cohort_referral_date,
    {{ quarter_label('anchor.htic_referral_date') }} as cohort,
    -- breakdown attributes of the anchor case's person ('unknown' when not linked)
    coalesce(cases.court_id, 'unknown') as court,
    coalesce(cases.age_band, 'unknown') as age_band,
    coalesce(cases.gender_identity, 'UNKNOWN') as gender_identity,
    coalesce(cases.race, 'UNKNOWN') as race,
    coalesce(cases.ethnicity, 'UNKNOWN') as ethnicity,
    coalesce(cases.primary_language, 'unknown') as primary_language,
    coalesce(cases.prior_arrests, 'unknown') as prior_arrests
from clients
left join exits
    on exits.provider_id = clients.provider_id
   and exits.client_id = clients.client_id
left join anchor
    on anchor.provider_id = clients.provider_id
   and anchor.client_id = clients.client_id
left join client_persons
    on client_persons.provider_id = clients.provider_id
   and client_persons.client_id = clients.client_id
left join {{ ref('int_case_histories') }} as cases
    on cases.court_id = anchor.court_id
   and cases.docket_id = anchor.docket_id
