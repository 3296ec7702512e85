{#- Standardising identifiers for linkage (models/intermediate/linkage). -#}

{#- A docket as typed by provider staff -> the court's form `CR-NNNNNN-YYXX` (extracts.md: staff
    may type it in lower case, without the `CR-` prefix, or with spaces, e.g. "cr 004211 19qn"):
    upper-case it and keep letters and digits; when that reads (CR)NNNNNNYYXX, rebuild the court's
    form; otherwise fall back to: whitespace removed, `CR-` prefixed when missing. -#}
{% macro normalize_docket(expr) -%}
    case
        when nullif(regexp_replace(upper(cast({{ expr }} as varchar)), '\s', '', 'g'), '') is null then null
        when regexp_matches(regexp_replace(upper(cast({{ expr }} as varchar)), '[^A-Z0-9]', '', 'g'),
                            '^(CR)?[0-9]{6}[0-9]{2}[A-Z]{2}$')
            then 'CR-' || regexp_extract(regexp_replace(upper(cast({{ expr }} as varchar)), '[^A-Z0-9]', '', 'g'),
                                         '^(CR)?([0-9]{6})([0-9]{2}[A-Z]{2})$', 2)
                 || '-' || regexp_extract(regexp_replace(upper(cast({{ expr }} as varchar)), '[^A-Z0-9]', '', 'g'),
                                          '^(CR)?([0-9]{6})([0-9]{2}[A-Z]{2})$', 3)
        when regexp_replace(upper(cast({{ expr }} as varchar)), '\s', '', 'g') like 'CR-%'
            then regexp_replace(upper(cast({{ expr }} as varchar)), '\s', '', 'g')
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
