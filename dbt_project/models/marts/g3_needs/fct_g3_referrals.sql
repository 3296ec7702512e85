{#- G3: one row per referral of a linked HTIC client (metrics.md, g3_referral_connected_90d);
    its latest version's status counts. -#}
with clients as (
    select * from {{ ref('int_client_histories') }}
    where is_linked_htic
)

select
    {{ as_of_date() }} as as_of,
    {{ pseudonymize("referrals.provider_id || ':' || referrals.referral_id") }} as referral_key,
    {{ client_mart_columns('clients') }},
    'htic' as population,
    clients.cohort,
    referrals.domain,
    referrals.referral_date,
    referrals.status,
    referrals.referral_date <= {{ as_of_date() }} - 90 as connection_window_elapsed,
    referrals.status = 'CONNECTED'
        and coalesce({{ within_days('referrals.status_date', 'referrals.referral_date', 90) }}, false) as connected_90d
from clients
inner join {{ ref('stg_provider__referrals') }} as referrals
    on referrals.provider_id = clients.provider_id
   and referrals.client_id = clients.client_id
