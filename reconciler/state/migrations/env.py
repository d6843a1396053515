"""Alembic environment of the state store: runs migrations on the connection koppel hands in.

koppel never runs Alembic from a command line with an ``alembic.ini``: ``reconciler.state.migrate``
opens the connection, takes the migration lock, and passes the connection in through
``config.attributes["connection"]``, so the migration runs inside koppel's own transaction.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError(
        "the koppel state migrations run through reconciler.state.open_store, "
        "which passes a connection in; they have no alembic.ini of their own"
    )

context.configure(connection=connection, target_metadata=None)
with context.begin_transaction():
    context.run_migrations()
