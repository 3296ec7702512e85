{#- The breakdowns of G1-G6 (metrics.md, Breakdowns), in reporting order. -#}
{% macro breakdown_columns() -%}
    {{ return(['court', 'age_band', 'gender_identity', 'race', 'ethnicity', 'primary_language', 'prior_arrests']) }}
{%- endmacro %}

{#- The pseudonymous keys and breakdown attributes every case-grain mart carries, from an
    int_case_histories alias. No identifiers, no birth dates: ages only. -#}
{% macro case_mart_columns(alias) -%}
    {{ pseudonymize(alias ~ ".court_id || '/' || " ~ alias ~ ".docket_id") }} as case_key,
    {{ pseudonymize(alias ~ '.person_id') }} as person_key,
    {{ alias }}.population,
    {{ alias }}.court_id as court,
    {{ alias }}.age_at_arraignment,
    {{ alias }}.age_band,
    {{ alias }}.gender_identity,
    {{ alias }}.race,
    {{ alias }}.ethnicity,
    {{ alias }}.primary_language,
    {{ alias }}.prior_arrests
{%- endmacro %}

{#- Same for client-grain marts, from an int_client_histories alias. -#}
{% macro client_mart_columns(alias) -%}
    {{ pseudonymize(alias ~ ".provider_id || ':' || " ~ alias ~ ".client_id") }} as client_key,
    {{ pseudonymize(alias ~ '.person_id') }} as person_key,
    {{ alias }}.provider_id,
    {{ alias }}.court,
    {{ alias }}.age_band,
    {{ alias }}.gender_identity,
    {{ alias }}.race,
    {{ alias }}.ethnicity,
    {{ alias }}.primary_language,
    {{ alias }}.prior_arrests
{%- endmacro %}

{#- A cohort (quarter label) is reported for a windowed metric only when the window of its last
    day has elapsed by A: last day of the quarter + window <= A (metrics.md, Mature). -#}
{% macro cohort_mature(cohort, window_days) -%}
    ({{ quarter_label_end(cohort) }} + {{ window_days }} <= {{ as_of_date() }})
{%- endmacro %}
