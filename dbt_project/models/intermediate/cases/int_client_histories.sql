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
        select provider_id, client_id, person_id from {{ ref('int_client_docket_links') }}
        where person_id is not null
          and not exists (select 1 from links as l
                          where l.provider_id = int_client_docket_links.provider_id
                            and l.client_id = int_client_docket_links.client_id)
        union all
        select provider_id, client_id, person_id from {{ ref('int_client_person_matches') }}
        where is_link
          and not exists (select 1 from links as l
                          where l.provider_id = int_client_person_matches.provider_id
                            and l.client_id = int_client_person_matches.client_id)
          and not exists (select 1 from {{ ref('int_client_docket_links') }} as dl
                          where dl.provider_id = int_client_person_matches.provider_id
                            and dl.client_id = int_client_person_matches.client_id)
    ) as candidates
    group by 1, 2
)

select
    -- ids
    clients.provider_id,
    clients.client_id,
    clients.court_id as client_court_id,
    coalesce(anchor.person_id, any_link.person_id) as person_id,
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
left join any_link
    on any_link.provider_id = clients.provider_id
   and any_link.client_id = clients.client_id
left join {{ ref('int_case_histories') }} as cases
    on cases.court_id = anchor.court_id
   and cases.docket_id = anchor.docket_id
