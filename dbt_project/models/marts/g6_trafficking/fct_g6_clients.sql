{#- G6: one row per linked client of an HTIC case on A (metrics.md, G6): trafficking screening
    within 30 days after intake, and a LEGAL referral within 60 days after the earliest MODERATE or
    HIGH TRAFFICKING_INDICATORS assessment. -#}
with clients as (
    select * from {{ ref('int_client_histories') }}
    where is_linked_htic
),

assessments as (
    select * from {{ ref('stg_provider__assessments') }}
    where domain = 'TRAFFICKING_INDICATORS'
),

screened as (
    select clients.provider_id, clients.client_id, min(assessments.assessment_date) as first_ti_assessment_date
    from clients
    inner join assessments using (provider_id, client_id)
    where {{ within_days('assessments.assessment_date', 'clients.intake_date', 30) }}
    group by 1, 2
),

indicated as (
    select provider_id, client_id, min(assessment_date) as indicator_date
    from assessments
    where level in ('MODERATE', 'HIGH')
    group by 1, 2
),

legal as (
    select indicated.provider_id, indicated.client_id, min(referrals.referral_date) as first_legal_referral_date
    from indicated
    inner join {{ ref('stg_provider__referrals') }} as referrals
        on referrals.provider_id = indicated.provider_id
       and referrals.client_id = indicated.client_id
       and referrals.domain = 'LEGAL'
    where {{ within_days('referrals.referral_date', 'indicated.indicator_date', 60) }}
    group by 1, 2
)

select
    {{ as_of_date() }} as as_of,
    {{ client_mart_columns('clients') }},
    'htic' as population,
    clients.cohort,
    clients.intake_date <= {{ as_of_date() }} - 30 as screening_window_elapsed,
    screened.first_ti_assessment_date is not null as trafficking_screened_30d,
    indicated.indicator_date is not null as has_trafficking_indicators,
    coalesce(indicated.indicator_date <= {{ as_of_date() }} - 60, false) as legal_window_elapsed,
    legal.first_legal_referral_date is not null as legal_referral_60d
from clients
left join screened using (provider_id, client_id)
left join indicated using (provider_id, client_id)
left join legal using (provider_id, client_id)
