"""Running Alembic from the app (no alembic.ini: the app's config is the one source of the URL)."""

from alembic import command
from alembic.config import Config
from flask import current_app

from p4p import ROOT


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(revision: str = "head") -> None:
    engine = current_app.extensions["p4p.engine"]
    config = alembic_config(current_app.config["DATABASE_URL"])
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(revision: str) -> None:
    engine = current_app.extensions["p4p.engine"]
    config = alembic_config(current_app.config["DATABASE_URL"])
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def current_revision() -> str | None:
    from alembic.runtime.migration import MigrationContext

    with current_app.extensions["p4p.engine"].connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
