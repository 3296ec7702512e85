{#-
  The provider breakdown of a case (metrics.md v2, Breakdowns): one row per HTIC case on A with at
  least one linked client, and the provider of the earliest intake among its linked clients. Ties
  (two linked clients with the same intake date) go to the provider_id first in alphabetical order,
  then the client_id: deterministic, and each case counts once. Cases without a row here have no
  linked client: their provider is 'none' (the marts' coalesce). Restricted store (identifiers).
-#}
with

links as (
    select distinct court_id, docket_id, provider_id, client_id
    from {{ ref('int_client_case_links') }}
),

linked_intakes as (
    select links.court_id, links.docket_id, links.provider_id, links.client_id, clients.intake_date
    from links
    inner join {{ ref('stg_provider__clients') }} as clients using (provider_id, client_id)
)

select court_id, docket_id, provider_id as provider
from linked_intakes
qualify row_number() over (
    partition by court_id, docket_id
    order by intake_date, provider_id, client_id
) = 1
