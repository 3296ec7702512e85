{#- G7: one row per client active at a provider on the day the provider left the program (its
    contract_end, the latest over the courts it served, once every one has ended), and whether the
    client's person has an intake at another provider within 60 days after it (metrics.md,
    g7_continuity_after_exit; cohort = quarter of the contract end). Active on the end day:
    intake <= end and no exit before the end day (an exit dated on the end day, as when the
    provider closes, still leaves the client active on it). A client's person: its court person from
    linkage, else its records at other providers with the same standardised last name, first
    initial and date of birth (int_client_histories). -#}
with provider_ends as (
    select provider_id, max(contract_end) as contract_end
    from {{ ref('stg_program__providers') }}
    group by 1
    having count(*) = count(contract_end)
),

clients as (
    select * from {{ ref('int_client_histories') }}
),

active_at_end as (
    select clients.*, provider_ends.contract_end
    from clients
    inner join provider_ends using (provider_id)
    where clients.intake_date <= provider_ends.contract_end
      and (clients.exit_date is null or clients.exit_date >= provider_ends.contract_end)
),

continued as (
    select active_at_end.provider_id, active_at_end.client_id,
           min(other.intake_date) as next_intake_date
    from active_at_end
    inner join clients as other
        on other.person_id = active_at_end.person_id
       and other.provider_id <> active_at_end.provider_id
    where {{ within_days('other.intake_date', 'active_at_end.contract_end', 60) }}
    group by 1, 2
)

select
    {{ as_of_date() }} as as_of,
    {{ pseudonymize("active_at_end.provider_id || ':' || active_at_end.client_id") }} as client_key,
    {{ pseudonymize('active_at_end.person_id') }} as person_key,
    active_at_end.provider_id,
    'htic' as population,
    {{ quarter_label('active_at_end.contract_end') }} as cohort,
    active_at_end.contract_end,
    coalesce(not starts_with(active_at_end.person_id, 'client:'), false) as has_court_person,
    active_at_end.contract_end <= {{ as_of_date() }} - 60 as continuity_window_elapsed,
    continued.next_intake_date is not null as continued_60d
from active_at_end
left join continued using (provider_id, client_id)
