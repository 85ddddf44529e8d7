"""Bulk writes for the set-based paths: PostgreSQL `COPY`, SQLite `executemany`.

Django's `bulk_create` builds a model instance and prepares every value of every row in
Python; for millions of rows that costs more than the database's own work. These write
plain tuples instead. Ids are reserved up front so that rows can refer to each other.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice

from django.db import connection

BATCH = 10000


def reserve_ids(model, count: int) -> Sequence[int]:
    """`count` new primary keys for `model`, taken from its sequence (PostgreSQL) or after
    its highest id (SQLite, whose writer holds the database lock for the transaction)."""
    if count <= 0:
        return []
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, count],
            )
            return [row[0] for row in cursor.fetchall()]
        cursor.execute(
            f"SELECT MAX(x) FROM (SELECT COALESCE(MAX(id), 0) AS x FROM {table}"
            " UNION ALL SELECT seq FROM sqlite_sequence WHERE name = %s)",
            [table],
        )
        start = (cursor.fetchone()[0] or 0) + 1
        return range(start, start + count)


def db_value(value):
    """A datetime as the database layer stores it (SQLite has no time zones)."""
    if isinstance(value, dt.datetime):
        return connection.ops.adapt_datetimefield_value(value)
    return value


def insert_rows(model, fields: list[str], rows: Iterable[tuple]) -> None:
    """Insert tuples of values for `fields` (model field names) into `model`'s table."""
    meta = model._meta
    quote = connection.ops.quote_name  # a column may be a reserved word (`on`)
    columns = ", ".join(quote(meta.get_field(f).column) for f in fields)
    table = quote(meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"
        iterator = iter(rows)
        while batch := list(islice(iterator, BATCH)):
            cursor.executemany(sql, batch)


def insert_objects(model, objects: list) -> None:
    """Insert unsaved model instances (every concrete field, the primary key only when
    set, e.g. from `reserve_ids`) without `bulk_create`'s per-value preparation. Values
    are taken as the instances hold them (after the model's defaults); a JSON field
    goes through its own preparation."""
    if not objects:
        return
    with_pk = objects[0].pk is not None
    fields = [f for f in model._meta.concrete_fields if with_pk or not f.primary_key]
    prepared = {f.attname for f in fields if f.get_internal_type() == "JSONField"}

    def value(obj, field):
        raw = getattr(obj, field.attname)
        if field.attname in prepared:
            return field.get_db_prep_save(raw, connection)
        return db_value(raw)

    insert_rows(
        model,
        [f.name for f in fields],
        (tuple(value(obj, f) for f in fields) for obj in objects),
    )


def groups_of(rows: Iterable[tuple], key, size: int) -> Iterator[list[tuple]]:
    """Rows sorted by `key(row)`, in lists covering `size` keys each: a key's rows are
    never split between two lists (a payer's accounts, an account's debts)."""
    group: list[tuple] = []
    keys, last = 0, object()
    for row in rows:
        current = key(row)
        if current != last:
            if keys == size:
                yield group
                group, keys = [], 0
            keys, last = keys + 1, current
        group.append(row)
    if group:
        yield group
