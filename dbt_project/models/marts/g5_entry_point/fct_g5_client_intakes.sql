{#- G5: one row per provider client with intake by A, all providers (metrics.md,
    g5_self_referred_share; cohort = intake quarter). Breakdown attributes come from the linked
    HTIC case with the earliest referral; clients not linked to one read 'unknown'. -#}
with clients as (
    select * from {{ ref('int_client_histories') }}
    where intake_date <= {{ as_of_date() }}
)

select
    {{ as_of_date() }} as as_of,
    {{ client_mart_columns('clients') }},
    'htic' as population,
    clients.intake_quarter as cohort,
    clients.referral_source,
    clients.is_linked_htic,
    coalesce(clients.referral_source, '') <> 'COURT_MANDATE' as self_referred
from clients
