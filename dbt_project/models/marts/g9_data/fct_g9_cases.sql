{#- G9: one row per HTIC case on A (metrics.md, G9): linkage coverage of mandated cases and nysid
    coverage (cohort = referral quarter). -#}
with cases as (
    select * from {{ ref('int_case_histories') }}
    where population = 'htic'
)

select
    {{ as_of_date() }} as as_of,
    {{ case_mart_columns('cases') }},
    cases.cohort,
    cases.is_mandated,
    cases.has_nysid,
    cases.htic_referral_date <= {{ as_of_date() }} - 30 as linkage_window_elapsed,
    cases.linked_clients,
    cases.linked_clients_with_intake > 0 as is_linked
from cases
