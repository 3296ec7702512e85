{#- G8: one row per client exit by A, all providers (metrics.md, G8; cohort = exit quarter). -#}
select
    {{ as_of_date() }} as as_of,
    {{ pseudonymize("clients.provider_id || ':' || clients.client_id") }} as client_key,
    clients.provider_id,
    'htic' as population,
    clients.exit_quarter as cohort,
    clients.exit_reason,
    clients.survey_helpfulness,
    clients.survey_would_recommend,
    clients.survey_helpfulness is not null or clients.survey_would_recommend is not null as survey_responded
from {{ ref('int_client_histories') }} as clients
where clients.exit_date is not null
  and clients.exit_date <= {{ as_of_date() }}
