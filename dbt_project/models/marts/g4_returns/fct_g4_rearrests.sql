{#- G4: one row per HTIC or comparison case on A (metrics.md, G4): rearrest after disposition
    (cases with a nysid, disposed by A; cohort = disposition quarter, survival by disposition
    year), and return to an HTIC within 12 months of referral (HTIC cases; cohort = referral
    quarter). The case's own arrest never counts; windows are (disposition, disposition + N]. -#}
with cases as (
    select * from {{ ref('int_case_histories') }}
    where population in ('htic', 'comparison')
)

select
    {{ as_of_date() }} as as_of,
    {{ case_mart_columns('cases') }},
    cases.cohort,
    cases.has_nysid,
    cases.is_disposed,
    cases.disposition,
    cases.was_restored,
    -- rearrest follow-up from the (current) disposition
    cases.disposition_cohort,
    cases.disposition_year,
    cases.has_nysid and cases.is_disposed as in_rearrest_population,
    {% for label, days in [('6m', 182), ('12m', 365), ('24m', 730)] %}
    cases.disposition_date <= {{ as_of_date() }} - {{ days }} as rearrest_window_{{ label }}_elapsed,
    coalesce({{ within_days_after('cases.first_rearrest_date', 'cases.disposition_date', days) }}, false) as rearrest_any_{{ label }},
    coalesce({{ within_days_after('cases.first_prostitution_rearrest_date', 'cases.disposition_date', days) }}, false) as rearrest_prostitution_{{ label }},
    {% endfor %}
    -- Kaplan-Meier inputs: days to first rearrest, else censored at A
    case when cases.has_nysid and cases.is_disposed then
        coalesce(cases.first_rearrest_date, {{ as_of_date() }}) - cases.disposition_date end as survival_days,
    cases.first_rearrest_date is not null as survival_event,
    -- return to an HTIC: another docket of the same person referred in (referral, referral + 365]
    cases.population = 'htic' and cases.htic_referral_date <= {{ as_of_date() }} - 365 as return_window_elapsed,
    coalesce({{ within_days_after('cases.next_htic_referral_date', 'cases.htic_referral_date', 365) }}, false) as htic_return_12m
from cases
