"""Insert many model rows fast: the ids first, then one `executemany` of plain tuples.

`bulk_create` prepares every value of every row through the field's whole preparation chain (a 67-column
request row is 67 calls deep each), and SQLite's 999-parameter limit lets one statement carry only 14 such
rows: in a 12345 import that was 40 % of the time. Here each column gets its converter once per call
(plain values pass through, dates and times go through the backend's adapter, anything else — encrypted
text, JSON, decimals — through the field's own `get_db_prep_save`), and the ids are taken before the
insert so the caller can hang events and pending rows on them:

- PostgreSQL: `nextval` of the table's sequence, n at once (safe with any number of writers);
- SQLite: the next ids after the table's largest (AUTOINCREMENT's `sqlite_sequence` included). This must
  run inside the writer's transaction, which on SQLite holds the database's write lock from BEGIN
  (`transaction_mode = "IMMEDIATE"`), so no other writer can take the same ids.

Like `bulk_create`, no `save()` and no signals: the callers are the bulk paths that never had them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection, models, transaction
from django.db.models import signals
from django.db.models.base import ModelState

_PASS = (models.CharField, models.TextField, models.BooleanField, models.IntegerField, models.FloatField,
         models.ForeignKey, models.PositiveIntegerField, models.PositiveSmallIntegerField, models.BigIntegerField,
         models.SmallIntegerField)


def db_datetime() -> Callable[[Any], Any]:
    """The backend's conversion of an aware datetime, as `adapt_datetimefield_value` does it: SQLite stores
    UTC text ("2026-12-06 01:02:03[.000004]"), PostgreSQL takes the object. Memoised per converter: a
    batch's rows share most of their clock values."""
    if connection.vendor != "sqlite":
        return connection.ops.adapt_datetimefield_value
    seen: dict[dt.datetime, str] = {}
    zone = connection.timezone  # UTC unless DATABASES sets TIME_ZONE

    def convert(value: dt.datetime) -> str:
        text = seen.get(value)
        if text is None:
            if len(seen) > 10_000:
                seen.clear()
            naive = value.astimezone(zone).replace(tzinfo=None) if value.tzinfo is not None else value
            text = seen[value] = naive.isoformat(" ")
        return text

    return convert


def _converter(field: models.Field) -> Callable[[Any], Any] | None:
    """How one column's value becomes a database value; None when it goes in as it is."""
    kind = type(field)
    ops = connection.ops
    if kind in _PASS:
        return None
    if kind is models.DateTimeField:
        return db_datetime()
    if kind is models.DateField:
        return ops.adapt_datefield_value
    return lambda value: field.get_db_prep_save(value, connection)


_COLUMNS: dict[tuple[type[models.Model], str], list[tuple[str, Callable[[Any], Any] | None]]] = {}


def _columns(model: type[models.Model], fields: list[models.Field]) -> list[tuple[str, Callable[[Any], Any] | None]]:
    key = (model, connection.vendor)
    if key not in _COLUMNS:
        _COLUMNS[key] = [(f.attname, _converter(f)) for f in fields]
    return _COLUMNS[key]


def _ids(model: type[models.Model], count: int) -> list[int]:
    table = model._meta.db_table
    pk = model._meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                           [table, pk, count])
            return [row[0] for row in cursor.fetchall()]
        q = connection.ops.quote_name
        cursor.execute(f"SELECT MAX({q(pk)}) FROM {q(table)}")  # noqa: S608 - the model's own names
        top = cursor.fetchone()[0] or 0
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        row = cursor.fetchone()
        start = max(top, row[0] if row else 0) + 1
    return list(range(start, start + count))


def insert_many(objs: Sequence[models.Model], *, chunk: int = 2000) -> None:
    """Insert unsaved instances of one model, setting their ids. Call it inside `transaction.atomic()`.
    One row goes in with `INSERT … RETURNING` (no id queries); more take their ids first, then `executemany`."""
    if not objs:
        return
    assert transaction.get_connection().in_atomic_block, "insert_many needs the writer's transaction"
    model = type(objs[0])
    meta = model._meta
    pk = meta.pk
    fields = [f for f in meta.concrete_fields if f is not pk]
    columns = _columns(model, fields)
    q = connection.ops.quote_name
    for f in fields:  # auto_now(_add) columns, as save() would fill them
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            for obj in objs:
                f.pre_save(obj, True)

    def row(obj: models.Model, *head: Any) -> list[Any]:
        values = obj.__dict__
        out: list[Any] = list(head)
        for name, convert in columns:
            value = values[name]
            out.append(value if convert is None or value is None else convert(value))
        return out

    names = ", ".join(q(f.column) for f in fields)
    with connection.cursor() as cursor:
        if len(objs) == 1 and connection.features.can_return_columns_from_insert:
            cursor.execute(f"INSERT INTO {q(meta.db_table)} ({names}) VALUES ({', '.join(['%s'] * len(fields))}) "  # noqa: S608
                           f"RETURNING {q(pk.column)}", row(objs[0]))
            setattr(objs[0], pk.attname, cursor.fetchone()[0])
        else:
            for obj, new_id in zip(objs, _ids(model, len(objs)), strict=True):
                setattr(obj, pk.attname, new_id)
            sql = (f"INSERT INTO {q(meta.db_table)} ({q(pk.column)}, {names}) "  # noqa: S608 - the model's own names
                   f"VALUES ({', '.join(['%s'] * (len(fields) + 1))})")
            for start in range(0, len(objs), chunk):
                cursor.executemany(sql, [row(obj, obj.pk) for obj in objs[start:start + chunk]])
    for obj in objs:
        obj._state.adding, obj._state.db = False, "default"


_DEFAULTS: dict[type[models.Model], tuple[dict[str, Any], list[models.Field], dict[str, models.Field], set[str]]] = {}


def new(model: type[models.Model], **values: Any) -> Any:
    """An unsaved instance, as `model(**values)` builds it, without `Model.__init__`'s per-field work (a
    67-column request cost 0.2 ms there, two thirds of an imported row's checks). `values` are field names
    (a related object or its `_id`), every other column takes its default. The model must have no
    pre_init/post_init receivers (checked)."""
    if model not in _DEFAULTS:
        assert not signals.pre_init.has_listeners(model) and not signals.post_init.has_listeners(model), model
        fields = list(model._meta.concrete_fields)
        per_call = [f for f in fields if f.has_default() and callable(f.default)]  # dict, list, now …
        fixed = {f.attname: f.get_default() for f in fields if f not in per_call}
        _DEFAULTS[model] = (fixed, per_call, {f.name: f for f in fields if f.is_relation},
                            {f.name for f in fields} | {f.attname for f in fields})
    fixed, called, relations, known = _DEFAULTS[model]
    if unknown := values.keys() - known:
        raise TypeError(f"{model.__name__} has no field {', '.join(sorted(unknown))}")
    obj = model.__new__(model)
    obj._state = ModelState()
    data = obj.__dict__
    data.update(fixed)
    for f in called:
        data[f.attname] = f.get_default()
    for name, value in values.items():
        relation = relations.get(name)
        if relation is None:
            data[name] = value
        else:  # what the forward descriptor does: the id, and the object cached
            data[relation.attname] = None if value is None else value.pk
            obj._state.fields_cache[name] = value
    return obj
