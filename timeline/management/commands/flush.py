"""``manage.py flush``, which also empties the append-only event log.

Emptying every table is a deliberate operator (or test-runner) action; the
event log's triggers are suspended only inside that one transaction.
"""

from django.core.management.commands import flush
from django.db import DEFAULT_DB_ALIAS, connections, transaction

from timeline import db_guard


class Command(flush.Command):
    def handle(self, **options) -> None:
        database = options.get("database") or DEFAULT_DB_ALIAS
        connection = connections[database]
        with transaction.atomic(using=database), db_guard.lifted(connection):
            super().handle(**options)
