-- One row per provider client <-> court case link as of A (extracts.md, "Linking people"):
--  * 'docket': the client's normalised docket_ref names the docket (int_client_docket_links);
--  * 'match': otherwise, a client matched to a person (int_client_person_matches, is_link) links to
--    that person's HTIC case (any court) with the latest htic_referral_date on or before the
--    client's intake_date + link_referral_window_days, and on or before A (a referral after A is
--    not yet a fact). A matched client with no such case has no link.
with

docket_links as (
    select * from {{ ref('int_client_docket_links') }}
),

person_matches as (
    select provider_id, client_id, person_id, match_probability
    from {{ ref('int_client_person_matches') }}
    where is_link
),

clients as (
    select provider_id, client_id, intake_date from {{ ref('stg_provider__clients') }}
),

person_cases as (
    select cases.court_id, cases.docket_id, cases.defendant_id, p.person_id, cases.htic_referral_date
    from {{ ref('stg_court__cases') }} as cases
    inner join {{ ref('int_defendant_persons') }} as p using (court_id, defendant_id)
    where cases.htic_referral_date is not null
      and cases.htic_referral_date <= {{ as_of_date() }}
),

match_links as (
    select
        m.provider_id,
        m.client_id,
        pc.court_id,
        pc.docket_id,
        pc.defendant_id,
        m.person_id,
        m.match_probability
    from person_matches as m
    inner join clients as c using (provider_id, client_id)
    inner join person_cases as pc
        on pc.person_id = m.person_id
       and pc.htic_referral_date <= c.intake_date + {{ var('link_referral_window_days') | int }}
    qualify row_number() over (
        partition by m.provider_id, m.client_id
        order by pc.htic_referral_date desc, pc.court_id, pc.docket_id
    ) = 1
)

select provider_id, client_id, court_id, docket_id, defendant_id, person_id,
       'docket' as link_method, cast(1.0 as double) as match_probability
from docket_links
union all
select provider_id, client_id, court_id, docket_id, defendant_id, person_id,
       'match' as link_method, cast(match_probability as double) as match_probability
from match_links
