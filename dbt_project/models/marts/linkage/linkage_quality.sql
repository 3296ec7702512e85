{#- Linkage quality on A, one row, counts and shares only (no keys, no identifiers): how many
    provider clients are linked to court cases, by which method, how many candidate pairs wait for
    clerical review, and - when a file of known true links is at hand (env HTIC_LINKAGE_TRUTH,
    pipelines/settings.py: `linkage_truth`) - precision and recall against it; else those are null.
    The truth file has the columns provider_id, client_id, court_id, docket_id, deleted, delivered,
    intake_date (the synthetic generator's truth/client_links.csv). -#}
{%- set truth_path = env_var('HTIC_LINKAGE_TRUTH', '') -%}
{%- set has_truth = false -%}
{%- if execute and truth_path -%}
    {%- set found = run_query("select count(*) from glob(" ~ dbt.string_literal(truth_path | replace("'", "''")) ~ ")") -%}
    {%- set has_truth = found.columns[0].values()[0] > 0 -%}
{%- endif %}
with

links as (
    select provider_id, client_id, court_id, docket_id, link_method
    from {{ ref('int_client_case_links') }}
),

review as (
    select provider_id, client_id
    from {{ ref('int_client_person_matches') }}
    where match_status in ('ambiguous', 'review')
),

counts as (
    select
        (select count(*) from {{ ref('stg_provider__clients') }}) as clients,
        (select count(*) from (select distinct provider_id, client_id from links)) as linked_clients,
        (select count(*) from (select distinct court_id, docket_id from links)) as linked_cases,
        (select count(*) from links) as links,
        (select count(*) from links where link_method = 'docket') as links_deterministic,
        (select count(*) from links where link_method = 'match') as links_probabilistic,
        (select count(*) from review) as review_queue_pairs,
        (select count(*) from (select distinct provider_id, client_id from review)) as review_queue_clients,
        (select count(*) from (select distinct provider_id, client_id from review
                               anti join links using (provider_id, client_id))) as review_queue_unlinked_clients
),

{% if has_truth %}
-- the truth's links of the clients that exist on A (delivered, not deleted, intake <= A)
true_links as (
    select distinct provider_id, client_id, court_id, docket_id
    from read_csv({{ dbt.string_literal(truth_path | replace("'", "''")) }}, all_varchar = true)
    where docket_id is not null and deleted = 'N' and delivered = 'Y'
      and cast(intake_date as date) <= {{ as_of_date() }}
),

truth as (
    select
        (select count(*) from true_links) as true_links,
        (select count(*) from links inner join true_links using (provider_id, client_id, court_id, docket_id)) as correct_links
)
{% else %}
truth as (
    select cast(null as bigint) as true_links, cast(null as bigint) as correct_links
)
{% endif %}

select
    {{ as_of_date() }} as as_of,
    counts.clients,
    counts.linked_clients,
    counts.linked_cases,
    counts.links,
    counts.links_deterministic,
    counts.links_probabilistic,
    counts.links_deterministic / nullif(counts.links, 0) as share_deterministic,
    counts.links_probabilistic / nullif(counts.links, 0) as share_probabilistic,
    counts.review_queue_pairs,
    counts.review_queue_clients,
    counts.review_queue_unlinked_clients,
    truth.true_links,
    truth.correct_links,
    truth.correct_links / nullif(counts.links, 0) as precision,
    truth.correct_links / nullif(truth.true_links, 0) as recall
from counts
cross join truth
