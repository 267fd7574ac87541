"""Emptying tables for tests that build an app of their own."""

from conftest import _empty_all_tables


def empty_tables(app) -> None:
    _empty_all_tables(app.extensions["p4p.engine"])
    app.extensions["p4p.engine"].dispose()
