"""Opening the records database, and keeping its schema where the code expects it.

``FRONTDOOR_DATABASE_URL`` names it: ``sqlite:///.frontdoor/records.db`` by default (the
embedded store ``frontdoor up`` and most tests use), ``postgresql+psycopg://...`` in
production. Alembic migrations bring it up to date (``frontdoor db upgrade``); a process whose
database is behind the code refuses to start, saying so in one line.
"""

from __future__ import annotations

import sqlite3
from importlib import resources
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

DEFAULT_URL = "sqlite:///.frontdoor/records.db"
MIGRATIONS = Path(str(resources.files("runtime.records_db") / "migrations"))


class DatabaseSettings(BaseSettings):
    """Where the records database is, from ``FRONTDOOR_DATABASE_URL``."""

    model_config = SettingsConfigDict(env_prefix="FRONTDOOR_DATABASE_", extra="ignore")

    url: str = Field(default=DEFAULT_URL, description="SQLAlchemy URL of the records database.")


class SchemaBehindError(ValueError):
    """The database's schema is older (or newer) than this code's."""


def make_engine(url: str) -> Engine:
    """An engine for ``url``; for SQLite, its folder made and write-ahead logging on."""
    parsed = make_url(url)
    # A failed statement's error (and so a log line) must never show its values: children's
    # names and dates of birth are parameters.
    options: dict[str, Any] = {"pool_pre_ping": True, "hide_parameters": True}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, **options)

        @event.listens_for(engine, "connect")
        def _pragmas(connection: sqlite3.Connection, _record: object) -> None:
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")  # readers never block the writer
            cursor.execute("PRAGMA busy_timeout=10000")
            cursor.close()

        return engine
    return create_engine(url, **options)


def _config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine) -> str:
    """Apply every migration not yet applied; the revision the database is now at."""
    command.upgrade(_config(engine), "head")
    return head_revision()


def head_revision() -> str:
    """The newest migration this code knows."""
    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    assert head is not None  # noqa: S101 - the package ships its migrations
    return head


def current_revision(engine: Engine) -> str | None:
    """The migration the database is at (None: never migrated)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def require_current_schema(engine: Engine) -> None:
    """Refuse a database whose schema is not this code's, with what to do about it."""
    current, head = current_revision(engine), head_revision()
    if current != head:
        where = make_url(str(engine.url)).render_as_string(hide_password=True)
        raise SchemaBehindError(
            f"the records database {where} is at schema {current or 'none'}, this code needs "
            f"{head}: run `frontdoor db upgrade`"
        )
