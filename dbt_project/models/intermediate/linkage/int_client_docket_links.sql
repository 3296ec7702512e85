-- One row per provider client whose docket_ref, normalised (stg_provider__clients), names a docket
-- of the current court state: the first linkage rule of extracts.md ("Linking people"). If the
-- normalised docket exists in more than one court, the client's own court wins.
with

clients as (
    select provider_id, client_id, court_id as client_court_id, docket_ref_normalized
    from {{ ref('stg_provider__clients') }}
    where docket_ref_normalized is not null
),

cases as (
    select court_id, docket_id, defendant_id from {{ ref('stg_court__cases') }}
),

persons as (
    select court_id, defendant_id, person_id from {{ ref('int_defendant_persons') }}
)

select
    clients.provider_id,
    clients.client_id,
    cases.court_id,
    cases.docket_id,
    cases.defendant_id,
    persons.person_id
from clients
inner join cases on clients.docket_ref_normalized = cases.docket_id
left join persons on cases.court_id = persons.court_id and cases.defendant_id = persons.defendant_id
qualify row_number() over (
    partition by clients.provider_id, clients.client_id
    order by (cases.court_id = clients.client_court_id) desc nulls last, cases.court_id
) = 1
