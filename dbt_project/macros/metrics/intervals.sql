{#- Confidence intervals for the metrics relation (metrics.md, Terms). -#}

{#- The 97.5th percentile of the standard normal: two-sided 95% intervals. -#}
{% macro z975() -%} 1.959963984540054 {%- endmacro %}

{#- Wilson score interval (no continuity correction) for x successes in n trials; null when n = 0.
    Same formula as scipy's BinomTestResult.proportion_ci(method='wilson'). -#}
{% macro wilson_low(x, n) -%}
    case when ({{ n }}) > 0 then
        ((cast({{ x }} as double) / ({{ n }}) + {{ z975() }} * {{ z975() }} / (2.0 * ({{ n }})))
         - {{ z975() }} * sqrt((cast({{ x }} as double) / ({{ n }})) * (1 - cast({{ x }} as double) / ({{ n }})) / ({{ n }})
                                + {{ z975() }} * {{ z975() }} / (4.0 * ({{ n }}) * ({{ n }}))))
        / (1 + {{ z975() }} * {{ z975() }} / ({{ n }}))
    end
{%- endmacro %}

{% macro wilson_high(x, n) -%}
    case when ({{ n }}) > 0 then
        ((cast({{ x }} as double) / ({{ n }}) + {{ z975() }} * {{ z975() }} / (2.0 * ({{ n }})))
         + {{ z975() }} * sqrt((cast({{ x }} as double) / ({{ n }})) * (1 - cast({{ x }} as double) / ({{ n }})) / ({{ n }})
                                + {{ z975() }} * {{ z975() }} / (4.0 * ({{ n }}) * ({{ n }}))))
        / (1 + {{ z975() }} * {{ z975() }} / ({{ n }}))
    end
{%- endmacro %}

{#- Two-sided 95% Student t critical value for df degrees of freedom: the seed
    t_critical_values (df 1..1000, computed with scipy by seeds/generate_t_critical_values.py);
    above 1000 the Cornish-Fisher expansion in 1/df (error < 1e-12 there). `seed_alias` is the
    joined seed's alias. -#}
{% macro t975(df, seed_alias) -%}
    case when ({{ df }}) < 1 then null
         when ({{ df }}) <= 1000 then {{ seed_alias }}.t975
         else {{ z975() }}
              + (pow({{ z975() }}, 3) + {{ z975() }}) / (4.0 * ({{ df }}))
              + (5 * pow({{ z975() }}, 5) + 16 * pow({{ z975() }}, 3) + 3 * {{ z975() }}) / (96.0 * pow({{ df }}, 2))
              + (3 * pow({{ z975() }}, 7) + 19 * pow({{ z975() }}, 5) + 17 * pow({{ z975() }}, 3) - 15 * {{ z975() }}) / (384.0 * pow({{ df }}, 3))
    end
{%- endmacro %}
