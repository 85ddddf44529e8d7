"""The few SQL fragments that differ between SQLite and PostgreSQL, for set-based runs."""

from __future__ import annotations

from dataclasses import dataclass


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
