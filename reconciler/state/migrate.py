"""Schema migrations of the state store: Alembic, run by koppel itself when a store is opened.

The migration scripts ship inside the package (``reconciler/state/migrations``) and are found by
path, so an installed koppel migrates its database without an ``alembic.ini`` or a source
checkout. Opening a store upgrades it to the newest revision this koppel knows, under a lock so
replicas starting together do not race (PostgreSQL: a transaction-scoped advisory lock; SQLite:
the write lock of ``BEGIN IMMEDIATE``). A database already at a revision this koppel does not
know was migrated by a newer koppel: it is refused rather than used with the wrong schema.
"""

from __future__ import annotations

import functools
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy.engine import Connection, Engine

from reconciler.errors import StateError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"

# pg_advisory_xact_lock takes a bigint; this one spells "koppel" in ASCII.
_ADVISORY_LOCK_KEY = 0x6B6F7070656C


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic configuration pointing at the packaged scripts (no ini file)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@functools.cache
def _scripts() -> ScriptDirectory:
    # Parsed once per process: the scripts ship with koppel and cannot change while it runs.
    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    """The newest schema revision this koppel knows."""
    head = _scripts().get_current_head()
    assert head is not None, "the state store has at least one migration"
    return head


def current_revisions(connection: Connection) -> tuple[str, ...]:
    """The revisions the database is at (empty for a fresh database)."""
    return tuple(MigrationContext.configure(connection).get_current_heads())


def migrate(engine: Engine, *, where: str) -> str:
    """Upgrade the database to this koppel's newest revision; returns it.

    ``where`` is the masked URL, used in messages.
    """
    script = _scripts()
    head = head_revision()
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_LOCK_KEY})
        for revision in current_revisions(conn):
            try:
                script.get_revision(revision)
            except CommandError as error:
                raise StateError(
                    f"the state store at {where} is at schema revision {revision!r}, which this "
                    f"koppel does not know (it knows up to {head!r})",
                    hint="a newer koppel migrated this database; run that version, or point "
                    "this one at another database",
                ) from error
        if current_revisions(conn) != (head,):
            command.upgrade(alembic_config(conn), "head")
    return head
