"""Database triggers that make ``event_logs`` append-only.

The model and its QuerySet refuse changes in Python; these triggers make the
database itself refuse UPDATE, DELETE and (on PostgreSQL) TRUNCATE, whoever
sends them. ``lifted()`` suspends them inside one transaction for
``manage.py flush``, which the test framework uses between tests.

SQLite drops a table's triggers with the table: a future migration that makes
SQLite rebuild ``event_logs`` must call ``install()`` again.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db.backends.base.base import BaseDatabaseWrapper

TABLE = "event_logs"

_POSTGRESQL_INSTALL = [
    f"""
    CREATE OR REPLACE FUNCTION {TABLE}_refuse_change() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '{TABLE} is append-only: % is refused', TG_OP
            USING HINT = 'Record a new event instead.';
    END;
    $$
    """,
    f"""
    CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION {TABLE}_refuse_change()
    """,
    f"""
    CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE}
    FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_refuse_change()
    """,
]
_POSTGRESQL_UNINSTALL = [
    f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE}",
    f"DROP TRIGGER IF EXISTS {TABLE}_no_truncate ON {TABLE}",
    f"DROP FUNCTION IF EXISTS {TABLE}_refuse_change()",
]
_SQLITE_INSTALL = [
    f"""
    CREATE TRIGGER IF NOT EXISTS {TABLE}_no_{op.lower()} BEFORE {op} ON {TABLE}
    BEGIN SELECT RAISE(ABORT, '{TABLE} is append-only: {op} is refused'); END
    """
    for op in ("UPDATE", "DELETE")
]
_SQLITE_UNINSTALL = [
    f"DROP TRIGGER IF EXISTS {TABLE}_no_{op}" for op in ("update", "delete")
]


def _statements(connection: BaseDatabaseWrapper, *, install: bool) -> list[str]:
    if connection.vendor == "postgresql":
        return _POSTGRESQL_INSTALL if install else _POSTGRESQL_UNINSTALL
    if connection.vendor == "sqlite":
        return _SQLITE_INSTALL if install else _SQLITE_UNINSTALL
    return []


def _run(connection: BaseDatabaseWrapper, statements: list[str]) -> None:
    with connection.cursor() as cursor:
        for sql in statements:
            # No parameters: the trigger body's % must reach the server as is.
            cursor.execute(sql, None)


def install(connection: BaseDatabaseWrapper) -> None:
    _run(connection, _statements(connection, install=True))


def uninstall(connection: BaseDatabaseWrapper) -> None:
    _run(connection, _statements(connection, install=False))


@contextmanager
def lifted(connection: BaseDatabaseWrapper) -> Iterator[None]:
    """Suspend the triggers; call inside ``transaction.atomic()``."""
    if TABLE not in connection.introspection.table_names():
        yield
    elif connection.vendor == "postgresql":
        _run(connection, [f"ALTER TABLE {TABLE} DISABLE TRIGGER USER"])
        yield
        _run(connection, [f"ALTER TABLE {TABLE} ENABLE TRIGGER USER"])
    else:
        uninstall(connection)
        yield
        install(connection)
