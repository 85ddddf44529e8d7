"""The few SQL fragments that differ between SQLite and PostgreSQL, for set-based runs."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import BooleanField, Expression, F


@dataclass(frozen=True)
class Dialect:
    vendor: str

    def days_between(self, start: str, end: str) -> str:
        if self.vendor == "postgresql":
            return f"({end} - {start})"
        return f"CAST(julianday({end}) - julianday({start}) AS INTEGER)"

    def next_day(self, expr: str) -> str:
        if self.vendor == "postgresql":
            return f"({expr} + 1)"
        return f"date({expr}, '+1 day')"

    def cents(self, expr: str, scale: int = 100) -> str:
        """An exact decimal as an integer count of 1/scale units (SQLite stores REALs)."""
        return f"CAST(ROUND({expr} * {scale}) AS BIGINT)"

    def from_cents(self, expr: str) -> str:
        if self.vendor == "postgresql":
            return f"ROUND(CAST({expr} AS NUMERIC) / 100, 2)"
        return f"({expr} / 100.0)"

    def padded(self, expr: str, width: int) -> str:
        if self.vendor == "postgresql":
            return (
                f"(CASE WHEN {expr} < {10**width} THEN lpad(CAST({expr} AS TEXT), {width}, '0') "
                f"ELSE CAST({expr} AS TEXT) END)"
            )
        return f"printf('%%0{width}d', {expr})"  # %% : the SQL is %-formatted

    @property
    def binary_collation(self) -> str:
        """Order codes by their bytes, as SQLite does, whatever the database's locale."""
        return ' COLLATE "C"' if self.vendor == "postgresql" else ""

    def create_temp(self, name: str, columns: str) -> str:
        return f"CREATE TEMP TABLE {name} ({columns})"


def dialect_for(connection) -> Dialect:
    return Dialect(connection.vendor)


def analyze(cursor, *tables: str) -> None:
    """PostgreSQL plans joins from table statistics; a temporary table and freshly bulk
    loaded tables have none until analysed, and a blind plan can be 10× slower."""
    if cursor.db.vendor == "postgresql":
        for table in tables:
            cursor.execute(f"ANALYZE {table}")


class InIds(Expression):
    """`column IN (ids)` bound as one parameter, for the long id lists of set-based runs:
    `= ANY(%s)` with an array on PostgreSQL, `IN (SELECT value FROM json_each(%s))` on
    SQLite. An IN list of thousands of placeholders costs parsing and binding per id
    (psycopg splits the query text at each one); one array parameter does not.
    Usable in `filter()` as a condition: `Entry.objects.filter(InIds("bill_line_id", ids))`.
    """

    conditional = True
    output_field = BooleanField()

    def __init__(self, column: str | F, ids: Iterable[int]):
        super().__init__()
        self.column = F(column) if isinstance(column, str) else column
        self.ids = [int(i) for i in ids]

    def get_source_expressions(self):
        return [self.column]

    def set_source_expressions(self, exprs):
        (self.column,) = exprs

    def resolve_expression(self, query=None, allow_joins=True, reuse=None, summarize=False,
                           for_save=False):  # fmt: skip
        resolved = self.copy()
        resolved.column = self.column.resolve_expression(
            query, allow_joins, reuse, summarize, for_save
        )
        return resolved

    def as_sql(self, compiler, connection):
        sql, params = compiler.compile(self.column)
        if connection.vendor == "postgresql":
            return f"{sql} = ANY(%s)", [*params, self.ids]
        return f"{sql} IN (SELECT value FROM json_each(%s))", [*params, json.dumps(self.ids)]
