{#- G2: one row per mandated HTIC case on A (mandate_sessions > 0; metrics.md, G2). -#}
with cases as (
    select * from {{ ref('int_case_histories') }}
    where population = 'htic' and is_mandated
)

select
    {{ case_mart_columns('cases') }},
    coalesce(providers.provider, 'none') as provider,
    cases.cohort,
    cases.mandate_sessions,
    cases.linked_clients,
    -- service start
    cases.first_attended_date - cases.htic_referral_date as days_to_first_attended,
    cases.htic_referral_date <= {{ as_of_date() }} - 30 as start_window_elapsed,
    coalesce(cases.first_attended_date <= cases.htic_referral_date + 30, false) as service_start_30d,
    -- completion
    cases.credited_attended_sessions,
    cases.completion_date is not null as is_completed,
    cases.completion_date - cases.htic_referral_date as days_to_completion,
    cases.htic_referral_date <= {{ as_of_date() }} - 180 as completion_window_elapsed,
    cases.credited_attended_180d,
    coalesce(cases.completion_date <= cases.htic_referral_date + 180, false) as completed_180d,
    -- attendance within 180 days after referral
    cases.attended_180d,
    cases.no_show_180d
from cases
left join {{ ref('int_case_providers') }} as providers
    on providers.court_id = cases.court_id and providers.docket_id = cases.docket_id
