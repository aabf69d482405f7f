"""Building QuickBooks query statements safely (literals, IN lists, paging clauses)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

#: QuickBooks returns at most 1000 rows per query page.
PAGE_SIZE = 1000

_IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*$")
_STRING_LITERAL = re.compile(r"'(?:\\.|[^'\\])*'")
_PAGING = re.compile(r"\b(STARTPOSITION|MAXRESULTS)\b", re.IGNORECASE)


def escape(value: str) -> str:
    r"""Escape a value for use inside single quotes: ``\`` → ``\\``, ``'`` → ``\'``.

    Backslashes go first so the escape added for a quote is not itself doubled.
    """
    return str(value).replace("\\", "\\\\").replace("'", "\\'")


def literal(value: str) -> str:
    """Quote and escape a value as a query string literal."""
    return f"'{escape(value)}'"


def check_identifier(name: str, what: str) -> str:
    """Refuse anything but a plain (dotted) identifier, so names cannot inject query text.

    Args:
        name: entity or field name, e.g. ``Item``, ``Sku`` or ``CustomerRef``.
        what: what the name is, for the error message.

    Returns:
        ``name`` unchanged.
    """
    if not _IDENTIFIER.match(name or ""):
        raise ValueError(f"Invalid QuickBooks {what} name {name!r}: letters, digits, _ and . only")
    return name


def check_no_paging(statement: str) -> str:
    """Refuse a statement that already pages; the client adds STARTPOSITION/MAXRESULTS itself."""
    outside_literals = _STRING_LITERAL.sub("''", statement)
    if _PAGING.search(outside_literals):
        raise ValueError(
            f"Query {statement!r} must not contain STARTPOSITION or MAXRESULTS; "
            "QuickBooksClient.query pages by itself"
        )
    return statement.strip()


def paged(statement: str, start: int, size: int = PAGE_SIZE) -> str:
    """Append 1-based paging clauses to a statement."""
    return f"{statement} STARTPOSITION {start} MAXRESULTS {size}"


def unique(values: Iterable[str]) -> list[str]:
    """Values as strings, duplicates removed, first-seen order kept."""
    seen: dict[str, None] = {}
    for value in values:
        seen.setdefault(str(value), None)
    return list(seen)


def in_statements(
    entity: str, field: str, values: Iterable[str], *, extra_where: str = "", chunk: int = 200
) -> Iterator[str]:
    """Yield ``SELECT * FROM entity WHERE field IN (...)`` statements, ``chunk`` values each.

    Args:
        entity: entity to query.
        field: field compared with ``IN``.
        values: values to look for (escaped here).
        extra_where: extra condition ANDed to each statement, written by the
            caller (trusted text, e.g. ``Active IN (true, false)``).
        chunk: values per statement.

    Yields:
        One statement per chunk, without paging clauses.
    """
    check_identifier(entity, "entity")
    check_identifier(field, "field")
    if chunk < 1:
        raise ValueError(f"chunk must be >= 1, got {chunk}")
    items = unique(values)
    suffix = f" AND {extra_where.strip()}" if extra_where.strip() else ""
    for start in range(0, len(items), chunk):
        listed = ", ".join(literal(value) for value in items[start : start + chunk])
        # Names are checked identifiers and every value is escaped by literal().
        yield f"SELECT * FROM {entity} WHERE {field} IN ({listed}){suffix}"  # noqa: S608


def rows(query_response: dict | None) -> list[dict]:
    """Entity rows of a ``QueryResponse`` (the entity key is absent when nothing matched)."""
    if not query_response:
        return []
    for value in query_response.values():
        if isinstance(value, list):
            return value
    return []
