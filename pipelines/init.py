"""`htic init`: create a new, empty warehouse folder (its private folders and Dagster home). The
other commands refuse a warehouse that does not exist, so a mistyped path never becomes a new one."""

from __future__ import annotations


def add_arguments(parser) -> None:
    parser.add_argument("--warehouse", help="warehouse folder (default: $HTIC_WAREHOUSE or <repo>/warehouse)")


def create_warehouse(settings) -> bool:
    """The warehouse, its private folders and dagster.yaml; True when the folder was new."""
    existed = settings.warehouse.is_dir()
    settings.ensure_dagster_home()
    return not existed


def run(args) -> int:
    from pipelines.settings import get_settings

    settings = get_settings(args.warehouse)
    new = create_warehouse(settings)
    print(f"{'Created warehouse' if new else 'Warehouse already exists'}: {settings.warehouse}")
    return 0
