{#- Fellegi–Sunter scoring for models/intermediate/linkage (int_client_person_matches: client x court
    defendant; int_client_persons: client x client). Parameters: dbt vars fs_* and match_* (dbt_project.yml). -#}

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

{#- Probability of a match from a match weight (bits): prior odds (var match_prior) x Bayes factor. -#}
{% macro fs_match_probability(weight) -%}
    1.0 / (1.0 + pow(2.0, -({{ weight }})) * (1.0 - {{ var('match_prior') }}) / {{ var('match_prior') }})
{%- endmacro %}

{#- The Fellegi–Sunter score of every candidate pair: one SELECT over the CTE `pairs`, which holds
    the `keys` columns and, for the two records `a` and `b` (column prefixes):
      <a>_first, <a>_last, <b>_first, <b>_last   squashed names (no spaces),
      <a>_last_tokens, <b>_last_tokens, <b>_first_tokens   standardised names split into words,
      <a>_dob, <b>_dob.
    Needs the CTEs of name_frequency_and_variant_ctes() (nicknames.sql) over b's side: an exact
    name weighs by how common the name is there. Names are compared straight and swapped (a's
    given name with b's family name; swapped costs log2(fs_name_swap_m)); the better orientation
    counts (straight on a tie). Returns the keys, names_swapped, first_name_level, last_name_level,
    dob_level and match_weight = name weight + date-of-birth weight. -#}
{% macro fellegi_sunter_scores(pairs, keys, a, b) -%}
select
    {{ keys | join(', ') }},
    name_weight_swapped > name_weight_straight as names_swapped,
    case when name_weight_swapped > name_weight_straight then first_level_swapped else first_level end as first_name_level,
    case when name_weight_swapped > name_weight_straight then last_level_swapped else last_level end as last_name_level,
    dob_level,
    greatest(name_weight_straight, name_weight_swapped) + dob_weight as match_weight
from (
    select
        levels.*,
        {{ fs_weight('first_level', 'fs_first_name', 'ft.tf') }}
            + {{ fs_weight('last_level', 'fs_last_name', 'lt.tf') }} as name_weight_straight,
        {{ fs_weight('first_level_swapped', 'fs_first_name', 'lt2.tf') }}
            + {{ fs_weight('last_level_swapped', 'fs_last_name', 'ft2.tf') }}
            + log2({{ var('fs_name_swap_m') }}) as name_weight_swapped,
        {{ fs_weight('dob_level', 'fs_dob') }} as dob_weight
    from (
        select
            {{ pairs }}.*,
            {{ first_name_level(a ~ '_first', b ~ '_first', 'v1.a is not null') }} as first_level,
            {{ last_name_level(a ~ '_last', b ~ '_last', a ~ '_last_tokens', b ~ '_last_tokens') }} as last_level,
            {{ first_name_level(a ~ '_first', b ~ '_last', 'v2.a is not null') }} as first_level_swapped,
            {{ last_name_level(a ~ '_last', b ~ '_first', a ~ '_last_tokens', b ~ '_first_tokens') }} as last_level_swapped,
            {{ dob_level(a ~ '_dob', b ~ '_dob') }} as dob_level
        from {{ pairs }}
        left join name_variants as v1 on {{ pairs }}.{{ a }}_first = v1.a and {{ pairs }}.{{ b }}_first = v1.b
        left join name_variants as v2 on {{ pairs }}.{{ a }}_first = v2.a and {{ pairs }}.{{ b }}_last = v2.b
    ) as levels
    left join first_tf as ft on levels.{{ b }}_first = ft.first_sq
    left join last_tf as lt on levels.{{ b }}_last = lt.last_sq
    left join last_tf as lt2 on levels.{{ b }}_last = lt2.last_sq
    left join first_tf as ft2 on levels.{{ b }}_first = ft2.first_sq
) as weights
{%- endmacro %}
