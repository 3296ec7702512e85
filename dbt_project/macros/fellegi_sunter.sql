{#- Fellegi–Sunter helpers for models/intermediate/linkage. Parameters: dbt vars fs_* (dbt_project.yml). -#}

{#- log2(m/u) of a comparison level column, from a var like fs_dob = {level: [m, u]}.
    `tf_expr` gives u for levels whose u is null (term frequency). Level 'null' weighs 0. -#}
{% macro fs_weight(level_col, var_name, tf_expr=none) -%}
    {%- set params = var(var_name) -%}
    case {{ level_col }}
    {%- for level, mu in params.items() %}
        {%- if mu[1] is none %}
        when '{{ level }}' then log2({{ mu[0] }} / greatest({{ tf_expr }}, 1e-6))
        {%- else %}
        when '{{ level }}' then log2({{ mu[0] }} / {{ mu[1] }})
        {%- endif %}
    {%- endfor %}
        else 0.0
    end
{%- endmacro %}

{#- Comparison level of two given names (standardised, spaces removed); `is_variant` is true when
    the two are known variants of one name (nickname_pairs). -#}
{% macro first_name_level(a, b, is_variant) -%}
    case
        when {{ a }} is null or {{ b }} is null then 'null'
        when {{ a }} = {{ b }} then 'exact'
        when {{ is_variant }} then 'nickname'
        when jaro_winkler_similarity({{ a }}, {{ b }}) >= 0.92 then 'fuzzy_high'
        when jaro_winkler_similarity({{ a }}, {{ b }}) >= 0.85
          or damerau_levenshtein({{ a }}, {{ b }}) <= 1 then 'fuzzy'
        when (length({{ a }}) = 1 and starts_with({{ b }}, {{ a }}))
          or (length({{ b }}) = 1 and starts_with({{ a }}, {{ b }})) then 'initial'
        else 'other'
    end
{%- endmacro %}

{#- Comparison level of two family names: `a`, `b` squashed (no spaces), `a_tokens`, `b_tokens`
    the standardised names split into words (compound surnames: "GARCIA LOPEZ" vs "GARCIA"). -#}
{% macro last_name_level(a, b, a_tokens, b_tokens) -%}
    case
        when {{ a }} is null or {{ b }} is null then 'null'
        when {{ a }} = {{ b }} then 'exact'
        when len(list_intersect({{ a_tokens }}, {{ b_tokens }})) > 0 then 'token'
        when jaro_winkler_similarity({{ a }}, {{ b }}) >= 0.92 then 'fuzzy_high'
        when jaro_winkler_similarity({{ a }}, {{ b }}) >= 0.85
          or damerau_levenshtein({{ a }}, {{ b }}) <= 1 then 'fuzzy'
        else 'other'
    end
{%- endmacro %}

{#- Comparison level of two dates of birth. -#}
{% macro dob_level(a, b) -%}
    case
        when {{ a }} is null or {{ b }} is null then 'null'
        when {{ a }} = {{ b }} then 'exact'
        when day({{ a }}) <= 12 and year({{ a }}) = year({{ b }})
         and month({{ a }}) = day({{ b }}) and day({{ a }}) = month({{ b }}) then 'month_day_swap'
        when damerau_levenshtein(strftime({{ a }}, '%Y%m%d'), strftime({{ b }}, '%Y%m%d')) = 1
         and levenshtein(strftime({{ a }}, '%Y%m%d'), strftime({{ b }}, '%Y%m%d')) = 2 then 'transposition'
        when levenshtein(strftime({{ a }}, '%Y%m%d'), strftime({{ b }}, '%Y%m%d')) = 1 then 'one_typo'
        when damerau_levenshtein(strftime({{ a }}, '%Y%m%d'), strftime({{ b }}, '%Y%m%d')) = 2 then 'close'
        else 'other'
    end
{%- endmacro %}
