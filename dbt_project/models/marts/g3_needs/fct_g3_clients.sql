{#- G3: one row per linked client of an HTIC case on A (metrics.md, G3; cohort: the earliest
    referral among its linked HTIC cases). -#}
with clients as (
    select * from {{ ref('int_client_histories') }}
    where is_linked_htic
),

assessments as (
    select clients.provider_id, clients.client_id,
           min(assessments.assessment_date) as first_assessment_date
    from clients
    inner join {{ ref('stg_provider__assessments') }} as assessments
        on assessments.provider_id = clients.provider_id
       and assessments.client_id = clients.client_id
    where {{ within_days('assessments.assessment_date', 'clients.intake_date', 30) }}
    group by 1, 2
)

select
    {{ as_of_date() }} as as_of,
    {{ client_mart_columns('clients') }},
    'htic' as population,
    clients.cohort,
    clients.linked_htic_cases,
    clients.intake_date <= {{ as_of_date() }} - 30 as screening_window_elapsed,
    assessments.first_assessment_date is not null as screened_30d,
    assessments.first_assessment_date - clients.intake_date as days_to_first_assessment
from clients
left join assessments
    on assessments.provider_id = clients.provider_id
   and assessments.client_id = clients.client_id
