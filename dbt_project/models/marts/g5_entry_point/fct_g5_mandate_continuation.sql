{#- G5: one row per HTIC case whose mandate was completed by A (metrics.md, g5_voluntary_continuation;
    cohort = quarter of the completion). -#}
with cases as (
    select * from {{ ref('int_case_histories') }}
    where population = 'htic' and completion_date is not null
)

select
    {{ case_mart_columns('cases') }},
    coalesce(providers.provider, 'none') as provider,
    {{ quarter_label('cases.completion_date') }} as completion_cohort,
    cases.completion_date - cases.htic_referral_date as days_to_completion,
    cases.completion_date <= {{ as_of_date() }} - 180 as continuation_window_elapsed,
    cases.first_voluntary_session_date is not null as voluntary_continuation
from cases
left join {{ ref('int_case_providers') }} as providers
    on providers.court_id = cases.court_id and providers.docket_id = cases.docket_id
