-- One row per provider client record (provider_id, client_id) as of A with the person it belongs to
-- (extracts.md: "The same person at two providers: linked through the same court person, or
-- matched by name and date of birth as above"). RESTRICTED: identifiers.
--   person_source 'docket' | 'match': the client's own court person (int_client_docket_links,
--     or its int_client_person_matches link);
--   'via_client': no court person of its own, but matched to another client record that has one;
--   'client': no court person anywhere: person_id = 'client:' || the smallest
--     provider_id:client_id among itself and the client records it matches (one hop).
-- Client <-> client matching scores like int_client_person_matches (macros/fellegi_sunter.sql,
-- fellegi_sunter_scores; name frequencies among clients), and is stricter (see `strict`): namesakes with close dates of
-- birth are common and clients carry no court to narrow the candidates. On the default synthetic
-- world, pairs of client records put in one person: precision 0.997, recall 0.994.
with

clients as (
    select
        provider_id, client_id, dob,
        provider_id || ':' || client_id as client_ref,
        first_name_std,
        last_name_std,
        replace(first_name_std, ' ', '') as first_sq,
        replace(last_name_std, ' ', '') as last_sq,
        case when day(dob) <= 12 then make_date(year(dob), day(dob), month(dob)) end as dob_md_swapped
    from {{ ref('stg_provider__clients') }}
),

court_person as (
    select provider_id, client_id, person_id, 'docket' as person_source
    from {{ ref('int_client_docket_links') }}
    where person_id is not null
    union all
    select provider_id, client_id, person_id, 'match' as person_source
    from {{ ref('int_client_person_matches') }}
    where is_link
),

{{ name_frequency_and_variant_ctes('clients') }},

blocked as (
    -- pairs of distinct client records sharing the date of birth (also with month and day
    -- swapped), or a name part and the birth year (also across the two name fields)
    select a.client_ref as a_ref, b.client_ref as b_ref from clients as a join clients as b on a.dob = b.dob where a.client_ref < b.client_ref
    union
    select a.client_ref, b.client_ref from clients as a join clients as b on a.dob_md_swapped = b.dob where a.client_ref <> b.client_ref
    union
    select a.client_ref, b.client_ref from clients as a join clients as b
        on a.last_sq = b.last_sq and year(a.dob) = year(b.dob) where a.client_ref < b.client_ref
    union
    select a.client_ref, b.client_ref from clients as a join clients as b
        on a.first_sq = b.first_sq and year(a.dob) = year(b.dob) where a.client_ref < b.client_ref
    union
    select a.client_ref, b.client_ref from clients as a join clients as b
        on a.first_sq = b.last_sq and year(a.dob) = year(b.dob) where a.client_ref <> b.client_ref
),

pairs as (
    select
        least(bl.a_ref, bl.b_ref) as a_ref, greatest(bl.a_ref, bl.b_ref) as b_ref
    from blocked as bl
    group by 1, 2
),

compared as (
    select
        p.a_ref, p.b_ref,
        a.first_sq as a_first, a.last_sq as a_last, b.first_sq as b_first, b.last_sq as b_last,
        string_split(a.last_name_std, ' ') as a_last_tokens,
        string_split(b.last_name_std, ' ') as b_last_tokens,
        string_split(b.first_name_std, ' ') as b_first_tokens,
        a.dob as a_dob, b.dob as b_dob
    from pairs as p
    inner join clients as a on a.client_ref = p.a_ref
    inner join clients as b on b.client_ref = p.b_ref
),

scored as (
    {{ fellegi_sunter_scores('compared', ['a_ref', 'b_ref'], 'a', 'b') }}
),

strict as (
    select * from scored
    where {{ fs_match_probability('match_weight') }} >= {{ var('match_threshold') }}
      and dob_level in ('exact', 'month_day_swap', 'transposition')
      and first_name_level in ('exact', 'nickname', 'fuzzy_high')
      and last_name_level in ('exact', 'token', 'fuzzy_high')
),

client_matches as (
    -- Client records hold no court context to narrow the candidates, and namesakes with close
    -- dates of birth are common, so a client <-> client link needs, besides the probability,
    -- a date of birth that agrees up to a swap/transposition and both name parts agreeing
    -- (exactly, as a nickname, or within a typo). Both directions, links only.
    select a_ref as ref, b_ref as other_ref, match_weight from strict
    union all
    select b_ref, a_ref, match_weight from strict
),

own as (
    select c.client_ref, cp.person_id, cp.person_source
    from clients as c
    inner join court_person as cp using (provider_id, client_id)
    qualify row_number() over (partition by c.client_ref order by cp.person_source, cp.person_id) = 1
),

via_client as (
    -- the court person of the best-matching other client record that has one
    select m.ref as client_ref, o.person_id
    from client_matches as m
    inner join own as o on o.client_ref = m.other_ref
    qualify row_number() over (partition by m.ref order by m.match_weight desc, o.person_id) = 1
),

cluster as (
    select ref as client_ref, least(ref, min(other_ref)) as root_ref
    from client_matches
    group by ref
)

select
    c.provider_id,
    c.client_id,
    coalesce(own.person_id, via_client.person_id, 'client:' || coalesce(cluster.root_ref, c.client_ref)) as person_id,
    case
        when own.person_id is not null then own.person_source
        when via_client.person_id is not null then 'via_client'
        else 'client'
    end as person_source
from clients as c
left join own on own.client_ref = c.client_ref
left join via_client on via_client.client_ref = c.client_ref
left join cluster on cluster.client_ref = c.client_ref
