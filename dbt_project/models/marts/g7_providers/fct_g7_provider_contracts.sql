{#- G7: one row per provider and court served (program reference table as of A), with whether
    the contract is active on A and the provider's caseload on A (metrics.md, G7). A contract is
    active on A when contract_start <= A and no contract_end before A (the end day itself is still
    a contract day; staging reads an end after A as null). A client is active on A when
    intake <= A and no exit <= A. Provider counts and capacities are not about people. -#}
with providers as (
    select * from {{ ref('stg_program__providers') }}
),

caseloads as (
    select provider_id, count(*) as active_clients
    from {{ ref('int_client_histories') }}
    where intake_date <= {{ as_of_date() }}
      and (exit_date is null or exit_date > {{ as_of_date() }})
    group by 1
)

select
    {{ as_of_date() }} as as_of,
    providers.provider_id,
    providers.court_id as court,
    providers.contract_start,
    providers.contract_end,
    providers.capacity,
    providers.contract_start <= {{ as_of_date() }}
        and (providers.contract_end is null or providers.contract_end >= {{ as_of_date() }}) as is_active_on_as_of,
    coalesce(caseloads.active_clients, 0) as provider_active_clients
from providers
left join caseloads using (provider_id)
