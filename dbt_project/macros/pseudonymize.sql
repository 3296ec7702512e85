{#-
  pseudonymize(expr) -> 16 hex chars: a keyed hash (sha256 of secret || '|' || text of expr).

  The secret is a DuckDB session variable set by the dbt-duckdb plugin plugins/htic_pseudonym.py
  from DBT_ENV_SECRET_HTIC_PSEUDONYM (profiles.yml): it never appears in compiled SQL, dbt logs or
  the warehouse. Stable across runs for a stable secret. Null in -> null out. Without a secret the
  build fails loudly instead of producing unkeyed (reversible-by-dictionary) hashes.
  Use it only in tables (a view would re-evaluate it in sessions without the secret).
-#}
{% macro pseudonymize(expr) -%}
    case
        when getvariable('htic_pseudonym_secret') is null
            then error('pseudonymize: no secret (set DBT_ENV_SECRET_HTIC_PSEUDONYM)')
        when ({{ expr }}) is null then null
        else substr(sha256(getvariable('htic_pseudonym_secret') || '|' || cast({{ expr }} as varchar)), 1, 16)
    end
{%- endmacro %}
