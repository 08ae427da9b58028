"""The database itself refuses to change a recorded event, whatever code runs against it."""

from __future__ import annotations

from django.db import migrations

SQLITE = [
    """CREATE TRIGGER ticketevent_no_update BEFORE UPDATE ON tickets_ticketevent
       BEGIN SELECT RAISE(ABORT, 'ticket events are immutable'); END;""",
]
SQLITE_REVERSE = ["DROP TRIGGER IF EXISTS ticketevent_no_update;"]

POSTGRES = [
    """CREATE OR REPLACE FUNCTION ticketevent_immutable() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'ticket events are immutable'; END; $$ LANGUAGE plpgsql;""",
    """CREATE TRIGGER ticketevent_no_update BEFORE UPDATE ON tickets_ticketevent
       FOR EACH ROW EXECUTE FUNCTION ticketevent_immutable();""",
]
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS ticketevent_no_update ON tickets_ticketevent;",
    "DROP FUNCTION IF EXISTS ticketevent_immutable();",
]


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for sql in {"sqlite": SQLITE, "postgresql": POSTGRES}.get(vendor, []):
        schema_editor.execute(sql)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for sql in {"sqlite": SQLITE_REVERSE, "postgresql": POSTGRES_REVERSE}.get(vendor, []):
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
