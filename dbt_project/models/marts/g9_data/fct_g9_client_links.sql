{#- G9 (data quality): one row per provider client -> court case link, with how it was made
    ('docket': the typed docket reference; 'match': name + date of birth) and its match probability.
    Pseudonymous keys only; the scored candidates and the uncertain pairs for review stay in the
    restricted store (int_client_person_matches). -#}
with links as (
    select * from {{ ref('int_client_case_links') }}
),

review as (
    select provider_id, client_id, count(*) as candidates_for_review
    from {{ ref('int_client_person_matches') }}
    where match_status in ('ambiguous', 'review')
    group by provider_id, client_id
)

select
    {{ as_of_date() }} as as_of,
    {{ pseudonymize("links.provider_id || ':' || links.client_id") }} as client_key,
    {{ pseudonymize("links.court_id || '/' || links.docket_id") }} as case_key,
    {{ pseudonymize('links.person_id') }} as person_key,
    links.provider_id,
    links.court_id as court,
    links.link_method,
    links.match_probability,
    coalesce(review.candidates_for_review, 0) as candidates_for_review
from links
left join review using (provider_id, client_id)
