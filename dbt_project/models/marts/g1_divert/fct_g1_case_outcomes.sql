{#- G1: one row per HTIC or comparison case on A (metrics.md, G1). -#}
with cases as (
    select * from {{ ref('int_case_histories') }}
    where population in ('htic', 'comparison')
)

select
    {{ as_of_date() }} as as_of,
    {{ case_mart_columns('cases') }},
    cases.cohort,
    cases.disposition_cohort,
    -- disposition (state on A)
    cases.disposition,
    cases.is_disposed,
    cases.is_disposed_on_merits,
    cases.is_noncriminal,
    cases.was_restored,
    cases.restored_events,
    case when cases.population = 'htic' and cases.is_disposed_on_merits
         then cases.disposition_date - cases.htic_referral_date end as days_to_disposition,
    -- sealing: ACD/DISMISSED disposed <= A - 365
    cases.disposition in ('ACD', 'DISMISSED') as is_acd_or_dismissed,
    cases.disposition in ('ACD', 'DISMISSED')
        and cases.disposition_date <= {{ as_of_date() }} - 365 as sealing_window_elapsed,
    cases.sealed = 'Y' as is_sealed,
    cases.sealed_within_1y,
    -- warrants within 180 days after referral
    cases.htic_referral_date <= {{ as_of_date() }} - 180 as warrant_window_elapsed,
    coalesce({{ within_days('cases.first_warrant_after_referral_date', 'cases.htic_referral_date', 180) }}, false) as warrant_180d
from cases
