"""dbt-duckdb plugin: hands the pseudonymisation key to DuckDB as a session variable.

The `pseudonymize` macro reads it with `getvariable('htic_pseudonym_secret')`, so the key never
appears in compiled SQL, dbt logs, target/ artifacts or any table. Configured in profiles.yml from
the env var DBT_ENV_SECRET_HTIC_PSEUDONYM, which pipelines/defs/dbt.py sets from
`pipelines.settings.pseudonym_secret()`. If it is empty the variable stays unset and the macro
fails loudly at build time.
"""

from __future__ import annotations

from typing import Any

from dbt.adapters.duckdb.plugins import BasePlugin

VARIABLE = "htic_pseudonym_secret"


class Plugin(BasePlugin):
    def initialize(self, plugin_config: dict[str, Any]) -> None:
        self._secret = str(plugin_config.get("secret") or "")

    def _set(self, conn) -> None:
        if self._secret:
            conn.execute(f"SET VARIABLE {VARIABLE} = ?", [self._secret])

    def configure_connection(self, conn) -> None:
        self._set(conn)

    def configure_cursor(self, cursor) -> None:
        # A cursor is a new DuckDB client context: session variables do not carry over.
        self._set(cursor)
