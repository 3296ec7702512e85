{#-
  The metric registry: every metric of analytics.metrics, which goal it serves, how it is estimated
  and, for metrics estimated from unit rows, which units feed it (metric_units.sql). Read by
  int_metric_units (the unit rows), int_metric_registry (the published metric ids, checked
  against seeds/metric_catalogue.csv) and the estimator models.

  Keys of a unit-based entry (kind rate | duration | mean | survival), as metric_units():
    id, goal, kind, relation (a mart), where, x, w (default '1'), cohort (default 'cohort'),
    window (days; cohort maturity), breakdowns (default true), domain, provider (the mart's
    provider column, for the provider breakdown of G2, G3, G5, G6), periods (default: true for
    rates, durations and means with quarterly cohorts; metrics.md v2, Pooled periods).
  Entries without `relation` are estimated by their own models (int_metrics_providers,
  int_metrics_deliveries); they carry `counts_people` (unit-based metrics count people).
-#}

{#- Survival horizons and the rearrest windows of G4: label, days. -#}
{% macro metric_horizons() -%}
    {{ return([('6m', 182), ('12m', 365), ('24m', 730)]) }}
{%- endmacro %}

{% macro metric_registry() -%}
    {%- set g1 = 'fct_g1_case_outcomes' -%}
    {%- set reg = [
        {'id': 'g1_noncriminal_disposition', 'goal': 'g1', 'kind': 'rate', 'relation': g1,
         'where': "population = 'htic' and is_disposed_on_merits", 'x': 'is_noncriminal'},
        {'id': 'g1_sealed_within_1y', 'goal': 'g1', 'kind': 'rate', 'relation': g1,
         'where': "population = 'htic' and is_acd_or_dismissed and sealing_window_elapsed",
         'x': 'sealed_within_1y', 'cohort': 'disposition_cohort', 'window': 365},
        {'id': 'g1_days_to_disposition', 'goal': 'g1', 'kind': 'duration', 'relation': g1,
         'where': "population = 'htic' and is_disposed_on_merits", 'x': 'days_to_disposition'},
        {'id': 'g1_warrant_180d', 'goal': 'g1', 'kind': 'rate', 'relation': g1,
         'where': "population = 'htic' and warrant_window_elapsed", 'x': 'warrant_180d', 'window': 180},

        {'id': 'g2_service_start_30d', 'goal': 'g2', 'kind': 'rate', 'relation': 'fct_g2_mandates',
         'where': 'start_window_elapsed', 'x': 'service_start_30d', 'window': 30, 'provider': 'provider'},
        {'id': 'g2_mandate_completion_180d', 'goal': 'g2', 'kind': 'rate', 'relation': 'fct_g2_mandates',
         'where': 'completion_window_elapsed', 'x': 'completed_180d', 'window': 180, 'provider': 'provider'},
        {'id': 'g2_days_to_completion', 'goal': 'g2', 'kind': 'duration', 'relation': 'fct_g2_mandates',
         'where': 'is_completed', 'x': 'days_to_completion', 'provider': 'provider'},
        {'id': 'g2_attendance_rate', 'goal': 'g2', 'kind': 'rate', 'relation': 'fct_g2_mandates',
         'where': 'completion_window_elapsed and attended_180d + no_show_180d > 0',
         'x': 'attended_180d', 'w': 'attended_180d + no_show_180d', 'window': 180, 'provider': 'provider'},

        {'id': 'g3_needs_screened_30d', 'goal': 'g3', 'kind': 'rate', 'relation': 'fct_g3_clients',
         'where': 'screening_window_elapsed', 'x': 'screened_30d', 'window': 30, 'provider': 'provider_id'},
        {'id': 'g3_need_referred_60d', 'goal': 'g3', 'kind': 'rate', 'relation': 'fct_g3_client_needs',
         'where': 'referral_window_elapsed', 'x': 'referred_60d', 'domain': 'domain', 'window': 60, 'provider': 'provider_id'},
        {'id': 'g3_referral_connected_90d', 'goal': 'g3', 'kind': 'rate', 'relation': 'fct_g3_referrals',
         'where': 'connection_window_elapsed', 'x': 'connected_90d', 'window': 90, 'provider': 'provider_id'},
    ] -%}

    {#- G4: HTIC and comparison populations -#}
    {%- for label, days in metric_horizons() -%}
    {%- for event in ['any', 'prostitution'] -%}
        {%- do reg.append(
            {'id': 'g4_rearrest_' ~ event ~ '_' ~ label, 'goal': 'g4', 'kind': 'rate', 'relation': 'fct_g4_rearrests',
             'where': 'in_rearrest_population and rearrest_window_' ~ label ~ '_elapsed',
             'x': 'rearrest_' ~ event ~ '_' ~ label, 'cohort': 'disposition_cohort', 'window': days}) -%}
    {%- endfor -%}
    {%- endfor -%}

    {%- do reg.extend([
        {'id': 'g4_htic_return_12m', 'goal': 'g4', 'kind': 'rate', 'relation': 'fct_g4_rearrests',
         'where': "population = 'htic' and return_window_elapsed", 'x': 'htic_return_12m', 'window': 365},
        {'id': 'g4_rearrest_free_survival', 'goal': 'g4', 'kind': 'survival', 'relation': 'fct_g4_rearrests',
         'where': 'in_rearrest_population', 'x': 'survival_days', 'w': 'survival_event',
         'cohort': 'disposition_year'},

        {'id': 'g5_voluntary_continuation', 'goal': 'g5', 'kind': 'rate', 'relation': 'fct_g5_mandate_continuation',
         'where': 'continuation_window_elapsed', 'x': 'voluntary_continuation',
         'cohort': 'completion_cohort', 'window': 180, 'provider': 'provider'},
        {'id': 'g5_self_referred_share', 'goal': 'g5', 'kind': 'rate', 'relation': 'fct_g5_client_intakes',
         'where': 'true', 'x': 'self_referred', 'provider': 'provider_id'},

        {'id': 'g6_trafficking_screened_30d', 'goal': 'g6', 'kind': 'rate', 'relation': 'fct_g6_clients',
         'where': 'screening_window_elapsed', 'x': 'trafficking_screened_30d', 'window': 30, 'provider': 'provider_id'},
        {'id': 'g6_legal_referral_60d', 'goal': 'g6', 'kind': 'rate', 'relation': 'fct_g6_clients',
         'where': 'has_trafficking_indicators and legal_window_elapsed', 'x': 'legal_referral_60d', 'window': 60, 'provider': 'provider_id'},

        {'id': 'g7_continuity_after_exit', 'goal': 'g7', 'kind': 'rate', 'relation': 'fct_g7_contract_exits',
         'where': 'continuity_window_elapsed', 'x': 'continued_60d', 'breakdowns': false, 'window': 60, 'periods': false},
        {'id': 'g7_active_providers', 'goal': 'g7', 'kind': 'count', 'counts_people': false},
        {'id': 'g7_caseload_per_capacity', 'goal': 'g7', 'kind': 'ratio', 'counts_people': true},

        {'id': 'g8_helpfulness_mean', 'goal': 'g8', 'kind': 'mean', 'relation': 'fct_g8_exits',
         'where': 'survey_helpfulness is not null', 'x': 'survey_helpfulness', 'breakdowns': false},
        {'id': 'g8_would_recommend', 'goal': 'g8', 'kind': 'rate', 'relation': 'fct_g8_exits',
         'where': 'survey_would_recommend is not null', 'x': "survey_would_recommend = 'Y'", 'breakdowns': false},
        {'id': 'g8_survey_response_rate', 'goal': 'g8', 'kind': 'rate', 'relation': 'fct_g8_exits',
         'where': 'true', 'x': 'survey_responded', 'breakdowns': false},

        {'id': 'g9_cases_linked', 'goal': 'g9', 'kind': 'rate', 'relation': 'fct_g9_cases',
         'where': 'is_mandated and linkage_window_elapsed', 'x': 'is_linked', 'breakdowns': false, 'window': 30},
        {'id': 'g9_nysid_coverage', 'goal': 'g9', 'kind': 'rate', 'relation': 'fct_g9_cases',
         'where': 'true', 'x': 'has_nysid', 'breakdowns': false},
        {'id': 'g9_delivery_timeliness', 'goal': 'g9', 'kind': 'duration', 'counts_people': false},
        {'id': 'g9_rows_rejected', 'goal': 'g9', 'kind': 'count', 'counts_people': false},
        {'id': 'g9_files_rejected', 'goal': 'g9', 'kind': 'count', 'counts_people': false},
    ]) -%}
    {{ return(reg) }}
{%- endmacro %}

{#- The metric ids one registry entry publishes: a duration also as <id>_p75 (75th percentile),
    a survival curve once per horizon. -#}
{% macro published_metric_ids(entry) -%}
    {%- if entry.kind == 'duration' and entry.relation is defined -%}
        {{ return([entry.id, entry.id ~ '_p75']) }}
    {%- elif entry.kind == 'survival' -%}
        {%- set ids = [] -%}
        {%- for label, days in metric_horizons() %}{% do ids.append(entry.id ~ '_' ~ label) %}{% endfor -%}
        {{ return(ids) }}
    {%- else -%}
        {{ return([entry.id]) }}
    {%- endif -%}
{%- endmacro %}
