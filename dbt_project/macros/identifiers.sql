{#- Standardising identifiers for linkage (models/intermediate/linkage). -#}

{#- A docket as typed by provider staff -> the court's form `CR-NNNNNN-YYXX`: upper case, no
    whitespace, `CR-` prefix added when missing (also `CR` without its hyphen). -#}
{% macro normalize_docket(expr) -%}
    case
        when nullif(regexp_replace(upper(cast({{ expr }} as varchar)), '\s', '', 'g'), '') is null then null
        when regexp_replace(upper(cast({{ expr }} as varchar)), '\s', '', 'g') like 'CR-%'
            then regexp_replace(upper(cast({{ expr }} as varchar)), '\s', '', 'g')
        when regexp_matches(regexp_replace(upper(cast({{ expr }} as varchar)), '\s', '', 'g'), '^CR[0-9]')
            then 'CR-' || substr(regexp_replace(upper(cast({{ expr }} as varchar)), '\s', '', 'g'), 3)
        else 'CR-' || regexp_replace(upper(cast({{ expr }} as varchar)), '\s', '', 'g')
    end
{%- endmacro %}

{#- A name -> upper-case ASCII letters and single spaces (accents stripped; hyphens, apostrophes,
    dots become spaces or vanish: "O'Brien" -> "OBRIEN", "Mary-Ann" -> "MARY ANN"). -#}
{% macro std_name(expr) -%}
    nullif(trim(regexp_replace(regexp_replace(
        upper(strip_accents(cast({{ expr }} as varchar))),
        '[''`.]', '', 'g'), '[^A-Z]+', ' ', 'g')), '')
{%- endmacro %}

{#- The same name with spaces removed, for comparing "MARY ANN" with "MARYANN". -#}
{% macro squash_name(expr) -%}
    replace({{ std_name(expr) }}, ' ', '')
{%- endmacro %}
