"""Placeholder: implemented by its owner (see docs/architecture.md)."""


def add_arguments(parser):
    pass


def run(args):
    raise SystemExit("not implemented yet")
