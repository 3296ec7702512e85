{#- G3: one row per (linked HTIC client, domain) with a MODERATE or HIGH assessment, dated by the
    earliest such (metrics.md, g3_need_referred_60d). A matching referral has the same domain,
    except TRAFFICKING_INDICATORS, matched by LEGAL. -#}
with clients as (
    select * from {{ ref('int_client_histories') }}
    where is_linked_htic
),

needs as (
    select provider_id, client_id, domain, min(assessment_date) as need_date
    from {{ ref('stg_provider__assessments') }}
    where level in ('MODERATE', 'HIGH')
    group by 1, 2, 3
),

matched as (
    select needs.provider_id, needs.client_id, needs.domain,
           min(referrals.referral_date) as first_matching_referral_date
    from needs
    inner join {{ ref('stg_provider__referrals') }} as referrals
        on referrals.provider_id = needs.provider_id
       and referrals.client_id = needs.client_id
       and referrals.domain = case needs.domain when 'TRAFFICKING_INDICATORS' then 'LEGAL' else needs.domain end
    where {{ within_days('referrals.referral_date', 'needs.need_date', 60) }}
    group by 1, 2, 3
)

select
    {{ as_of_date() }} as as_of,
    {{ client_mart_columns('clients') }},
    'htic' as population,
    clients.cohort,
    needs.domain,
    needs.need_date <= {{ as_of_date() }} - 60 as referral_window_elapsed,
    matched.first_matching_referral_date is not null as referred_60d,
    matched.first_matching_referral_date - needs.need_date as days_to_matching_referral
from clients
inner join needs
    on needs.provider_id = clients.provider_id
   and needs.client_id = clients.client_id
left join matched
    on matched.provider_id = needs.provider_id
   and matched.client_id = needs.client_id
   and matched.domain = needs.domain
