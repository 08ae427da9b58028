"""Where reads go: the primary for everything, a replica (DATABASE_REPLICA_URL) for reporting reads
that may lag a few seconds — dashboards, statistics, exports. Reporting code asks `reporting()` for
the alias explicitly; nothing is routed behind anyone's back, so a page never reads its own write late."""

from __future__ import annotations

from django.conf import settings


def reporting() -> str:
    return "replica" if "replica" in settings.DATABASES else "default"


class PrimaryOnly:
    """Migrations and writes only ever touch the primary; a replica follows it by replication."""

    def db_for_write(self, model: type, **hints: object) -> str:
        return "default"

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: object) -> bool:
        return db == "default"

    def allow_relation(self, obj1: object, obj2: object, **hints: object) -> bool:
        return True
