"""Rows of a hot `values_list()` query, with its SQL compiled once per shape instead of per request.

Django builds and compiles a queryset anew every time it runs: ≈ 0.7 ms for the calls page, ≈ 0.5 ms
for the recording lookup, a fifth of such a request. The SQL text only changes with the query's
shape (which filters are set, the columns, the LIMIT), so the caller names the shape and lists the
parameters in the order the queryset binds them; on first use of a shape the queryset is compiled
and its parameters compared with the caller's. The queryset stays the only definition of the query:
a caller that lists parameters in another order never gets a cached statement, only the ORM's rows.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from django.db import connection
from django.db.models import QuerySet

# The SQL text of each shape, or None where the ORM must run the query itself.
_SQL: dict[Hashable, str | None] = {}


def fetch_rows(shape: Hashable, params: list[Any], queryset: Callable[[], QuerySet]) -> list[tuple]:
    """`list(queryset())` of a `values_list()` queryset whose SQL is the same for every `shape`."""
    if shape not in _SQL:
        _SQL[shape] = _reusable_sql(queryset(), params)
    sql = _SQL[shape]
    if sql is None:
        return list(queryset())
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _reusable_sql(qs: QuerySet, params: list[Any]) -> str | None:
    """The queryset's SQL if running it with `params` gives the rows the ORM would give: no converters
    (PostgreSQL's types come back as Python's; SQLite's timestamps are text) and the very same
    parameters. The verdict holds for the shape, so SQLite pays for it once, not per request."""
    compiler = qs.query.get_compiler(using=qs.db)
    sql, compiled = compiler.as_sql()
    if compiler.get_converters([col for col, _, _ in compiler.select]) or list(compiled) != params:
        return None
    return sql
