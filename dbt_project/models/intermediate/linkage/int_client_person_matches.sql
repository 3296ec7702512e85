-- Scored candidate pairs (provider client x court person) for clients without a docket link:
-- probabilistic matching on name + date of birth (Fellegi–Sunter) against the defendants of the
-- client's court (every court when the client's court_id is null). RESTRICTED: identifiers.
--
-- 1. Blocking: a defendant is a candidate when it shares with the client the date of birth (also
--    with month and day swapped), or a name part together with the other part's initial or the
--    birth year (also across the two name fields), or the first two letters of the family name and
--    the birth year. A court_id that names no known court reads as unknown (every court).
-- 2. Comparison levels (macros/fellegi_sunter.sql, fellegi_sunter_scores): given name exact|nickname|fuzzy_high|fuzzy|
--    initial|other, family name exact|token|fuzzy_high|fuzzy|other, date of birth exact|
--    month_day_swap|transposition|one_typo|close|other; names compared straight and swapped
--    (swapped costs log2(fs_name_swap_m)), the better orientation counts.
-- 3. Weight = sum of log2(m/u) (vars fs_*; exact-name u = the name's frequency among defendants);
--    probability = prior odds (match_prior) x Bayes factor, as a probability.
-- 4. Per client and person the best defendant record counts; persons ranked by weight. The best
--    becomes a link when its probability >= match_threshold and no other person passing the
--    threshold is within match_margin_bits of it ('ambiguous' otherwise).
-- Rows kept: every candidate with probability >= review_threshold, and each client's best.
with

clients as (
    select
        provider_id, client_id, intake_date, dob,
        case when court_id in (select court_id from {{ ref('stg_court__snapshots') }}) then court_id end
            as client_court_id,
        first_name_std,
        last_name_std,
        replace(first_name_std, ' ', '') as first_sq,
        replace(last_name_std, ' ', '') as last_sq,
        case when day(dob) <= 12 then make_date(year(dob), day(dob), month(dob)) end as dob_md_swapped
    from {{ ref('stg_provider__clients') }}
    where not exists (
        select 1 from {{ ref('int_client_docket_links') }} as l
        where l.provider_id = stg_provider__clients.provider_id
          and l.client_id = stg_provider__clients.client_id
    )
),

defendants as (
    select
        d.court_id, d.defendant_id, p.person_id, d.dob,
        {{ std_name('d.first_name') }} as first_name_std,
        {{ std_name('d.last_name') }} as last_name_std,
        {{ squash_name('d.first_name') }} as first_sq,
        {{ squash_name('d.last_name') }} as last_sq
    from {{ ref('stg_court__defendants') }} as d
    inner join {{ ref('int_defendant_persons') }} as p using (court_id, defendant_id)
),

{{ name_frequency_and_variant_ctes('defendants') }},

blocked as (
    -- same date of birth
    select c.provider_id, c.client_id, d.court_id, d.defendant_id
    from clients as c join defendants as d
        on c.dob = d.dob
       and (c.client_court_id is null or c.client_court_id = d.court_id)
    union
    -- date of birth with month and day swapped
    select c.provider_id, c.client_id, d.court_id, d.defendant_id
    from clients as c join defendants as d
        on c.dob_md_swapped = d.dob
       and (c.client_court_id is null or c.client_court_id = d.court_id)
    union
    -- family name + initial
    select c.provider_id, c.client_id, d.court_id, d.defendant_id
    from clients as c join defendants as d
        on c.last_sq = d.last_sq and substr(c.first_sq, 1, 1) = substr(d.first_sq, 1, 1)
       and (c.client_court_id is null or c.client_court_id = d.court_id)
    union
    -- family name + birth year
    select c.provider_id, c.client_id, d.court_id, d.defendant_id
    from clients as c join defendants as d
        on c.last_sq = d.last_sq and year(c.dob) = year(d.dob)
       and (c.client_court_id is null or c.client_court_id = d.court_id)
    union
    -- given name + initial of the family name
    select c.provider_id, c.client_id, d.court_id, d.defendant_id
    from clients as c join defendants as d
        on c.first_sq = d.first_sq and substr(c.last_sq, 1, 1) = substr(d.last_sq, 1, 1)
       and (c.client_court_id is null or c.client_court_id = d.court_id)
    union
    -- given name + birth year
    select c.provider_id, c.client_id, d.court_id, d.defendant_id
    from clients as c join defendants as d
        on c.first_sq = d.first_sq and year(c.dob) = year(d.dob)
       and (c.client_court_id is null or c.client_court_id = d.court_id)
    union
    -- name parts swapped
    select c.provider_id, c.client_id, d.court_id, d.defendant_id
    from clients as c join defendants as d
        on c.first_sq = d.last_sq and substr(c.last_sq, 1, 1) = substr(d.first_sq, 1, 1)
       and (c.client_court_id is null or c.client_court_id = d.court_id)
    union
    -- first two letters of the family name + birth year
    select c.provider_id, c.client_id, d.court_id, d.defendant_id
    from clients as c join defendants as d
        on substr(c.last_sq, 1, 2) = substr(d.last_sq, 1, 2) and year(c.dob) = year(d.dob)
       and (c.client_court_id is null or c.client_court_id = d.court_id)
),

pairs as (
    select
        b.provider_id, b.client_id, b.court_id, b.defendant_id, d.person_id,
        c.first_sq as c_first, c.last_sq as c_last, d.first_sq as d_first, d.last_sq as d_last,
        string_split(c.last_name_std, ' ') as c_last_tokens,
        string_split(d.last_name_std, ' ') as d_last_tokens,
        string_split(d.first_name_std, ' ') as d_first_tokens,
        c.dob as c_dob, d.dob as d_dob
    from blocked as b
    inner join clients as c using (provider_id, client_id)
    inner join defendants as d using (court_id, defendant_id)
),

scored as (
    {{ fellegi_sunter_scores('pairs', ['provider_id', 'client_id', 'court_id', 'defendant_id', 'person_id'], 'c', 'd') }}
),

per_person as (
    -- a person's best defendant record counts
    select *
    from scored
    qualify row_number() over (
        partition by provider_id, client_id, person_id order by match_weight desc, court_id, defendant_id
    ) = 1
),

ranked as (
    select
        *,
        {{ fs_match_probability('match_weight') }} as match_probability,
        row_number() over (
            partition by provider_id, client_id order by match_weight desc, person_id
        ) as candidate_rank,
        lead(match_weight) over (
            partition by provider_id, client_id order by match_weight desc, person_id
        ) as next_person_weight
    from per_person
),

classified as (
    select
        *,
        case
            when candidate_rank = 1 and match_probability >= {{ var('match_threshold') }}
                 and (next_person_weight is null
                      or {{ fs_match_probability('next_person_weight') }} < {{ var('match_threshold') }}
                      or match_weight - next_person_weight >= {{ var('match_margin_bits') }})
                then 'link'
            when candidate_rank = 1 and match_probability >= {{ var('match_threshold') }} then 'ambiguous'
            when match_probability >= {{ var('review_threshold') }} then 'review'
            else 'non_match'
        end as match_status
    from ranked
)

select
    provider_id,
    client_id,
    person_id,
    court_id,
    defendant_id,
    candidate_rank,
    first_name_level,
    last_name_level,
    dob_level,
    names_swapped,
    match_weight,
    match_probability,
    match_status,
    match_status = 'link' as is_link
from classified
where match_probability >= {{ var('review_threshold') }} or candidate_rank = 1
