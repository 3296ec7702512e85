"""The one Dagster code location (`dagster dev -m pipelines.definitions`, `htic ui`): the asset graph
of pipelines/defs/ with the settings read from the environment when the location loads."""

from pipelines.defs import definitions
from pipelines.settings import get_settings, keep_private

keep_private()  # files the UI's runs create are owner-only, as with `htic` (settings.py)
defs = definitions(get_settings())
