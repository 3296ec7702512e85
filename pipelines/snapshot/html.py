"""report.html from the report model: templates/report.html.j2 rendered by Jinja2.

Every `{{ }}` is escaped exactly as `html.escape` does (the page's bytes are published and must
reproduce); only the charts' SVG goes in as it is (`|safe`). The page is self-contained: inline CSS
and SVG, no script, and a Content-Security-Policy that forbids every fetch.
"""

from __future__ import annotations

import html
from functools import cache
from pathlib import Path

from pipelines.snapshot import charts
from pipelines.snapshot.sections import EFFECTS_NOT_AVAILABLE, EFFECTS_TITLE, FOOTNOTE, Report

TEMPLATES = Path(__file__).parent / "templates"


def _escape(value):
    """Jinja's `finalize`: text escaped by html.escape (markupsafe writes quotes differently)."""
    from markupsafe import Markup

    return value if isinstance(value, Markup) else Markup(html.escape(str(value)))


@cache
def _environment():
    import jinja2

    return jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, finalize=_escape,
                              trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                              undefined=jinja2.StrictUndefined)


def render_html(report: Report) -> str:
    return _environment().get_template("report.html.j2").render(r=report, footnote=FOOTNOTE, effects_title=EFFECTS_TITLE,
                                                                  not_available=EFFECTS_NOT_AVAILABLE,
                                                                  spark=charts.sparkline_svg)
