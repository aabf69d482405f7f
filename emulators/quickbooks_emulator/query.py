"""The QBO query language: ``SELECT * | count(*) FROM Entity [WHERE ...] [ORDER[ ]BY ...] ...``.

Why: the connector looks records up by natural key (Sku, Name, DisplayName, DocNumber)
before creating them, with escaped quotes and IN lists; the grammar's corners (no OR,
backslash-escaped quotes, 1-based paging, MAXRESULTS <= 1000, inactive rows hidden
unless asked) are exactly where real clients break, so they are reproduced strictly.

Comparisons follow QBO: strings compare case-insensitively; numbers numerically;
ISO date-times as instants; references (``CustomerRef``) by their ``value``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from . import faults
from .entities import SPECS, EntitySpec, spec_for
from .faults import _TZ
from .indexes import QUERY_INDEXED_FIELDS, digit_number, resolve
from .store import View

MAX_RESULTS_LIMIT = 1000
DEFAULT_MAX_RESULTS = 100

_TOKEN = re.compile(
    r"""(?P<ws>\s+)
      | (?P<string>'(?:[^'\\]|\\.)*')
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<ident>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
      | (?P<op><=|>=|=|<|>)
      | (?P<punct>[(),*;])""",
    re.VERBOSE,
)
_KEYWORDS = {"select", "from", "where", "and", "in", "like", "orderby", "asc", "desc",
             "startposition", "maxresults", "or", "join", "not", "true", "false", "count"}


@dataclass
class Token:
    """One lexical token; ``kind`` is string/number/ident/keyword/op/punct/end."""

    kind: str
    text: str
    value: Any
    column: int


@dataclass
class Condition:
    """``field op value`` (op is one of = < > <= >= in like)."""

    field: str
    op: str
    values: list[Any]

    def string_keys(self) -> tuple[frozenset[str], frozenset[Decimal]] | None:
        """Sets answering ``=`` / ``IN`` for string fields in O(1), or None.

        Only when every value is a string that is not a date-time: then a *string* field
        equals one of them exactly when its casefold is in the first set, or it is all
        digits and its number is in the second (what :func:`_compare` decides).
        """
        if self.op not in ("=", "in"):
            return None
        cached = self.__dict__.get("_string_keys", False)
        if cached is not False:
            return cached  # type: ignore[no-any-return]
        keys: tuple[frozenset[str], frozenset[Decimal]] | None = None
        if all(isinstance(v, str) and _as_datetime(v) is None for v in self.values):
            numbers = (digit_number(v) for v in self.values)
            keys = (frozenset(v.casefold() for v in self.values),
                    frozenset(n for n in numbers if n is not None))
        self.__dict__["_string_keys"] = keys
        return keys


@dataclass
class Query:
    """A parsed query."""

    entity: EntitySpec
    count: bool = False
    fields: list[str] | None = None  # None: every field
    conditions: list[Condition] = field(default_factory=list)
    order: list[tuple[str, bool]] = field(default_factory=list)  # (field, descending)
    start: int = 1
    max_results: int = DEFAULT_MAX_RESULTS


def tokenize(text: str) -> list[Token]:
    """Split a query into tokens, raising 4000 on anything QBO's lexer would refuse."""
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            snippet = text[pos:pos + 20]
            raise faults.query_parse(
                f"Encountered \"{snippet}\" at line 1, column {pos + 1}. (A quote inside a"
                " value must be escaped with a backslash: O\\'Brien)")
        kind = match.lastgroup or ""
        raw = match.group()
        if kind == "string":
            value: Any = re.sub(r"\\(.)", r"\1", raw[1:-1])
            tokens.append(Token("string", raw, value, pos + 1))
        elif kind == "number":
            tokens.append(Token("number", raw, Decimal(raw), pos + 1))
        elif kind == "ident":
            lower = raw.lower()
            if lower in _KEYWORDS:
                tokens.append(Token("keyword", raw, lower, pos + 1))
            else:
                tokens.append(Token("ident", raw, raw, pos + 1))
        elif kind in ("op", "punct"):
            tokens.append(Token(kind, raw, raw, pos + 1))
        pos = match.end()
    tokens.append(Token("end", "<EOF>", None, len(text) + 1))
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.i = 0

    def peek(self) -> Token:
        return self.tokens[self.i]

    def next(self) -> Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def fail(self, token: Token, expected: str) -> faults.QboFault:
        return faults.query_parse(
            f'Encountered " {token.text} " at line 1, column {token.column}.'
            f" Was expecting: {expected}")

    def keyword(self, word: str) -> bool:
        token = self.peek()
        if token.kind == "keyword" and token.value == word:
            self.i += 1
            return True
        return False

    def order_by_words(self) -> bool:
        """Consume ``ORDER BY`` written as two words.

        QBO accepts both spellings: python-quickbooks' ``all(order_by=...)`` sends
        ``ORDER BY`` (reference file, "Learned since").
        """
        first, second = self.peek(), self.tokens[min(self.i + 1, len(self.tokens) - 1)]
        if (first.kind, second.kind) == ("ident", "ident") and (
            str(first.value).lower(), str(second.value).lower()
        ) == ("order", "by"):
            self.i += 2
            return True
        return False

    def expect_keyword(self, word: str) -> None:
        if not self.keyword(word):
            raise self.fail(self.peek(), word.upper())

    def expect_punct(self, char: str) -> None:
        token = self.next()
        if token.kind != "punct" or token.value != char:
            raise self.fail(token, f'"{char}"')

    def ident(self) -> str:
        token = self.next()
        if token.kind != "ident":
            raise self.fail(token, "<IDENTIFIER>")
        return str(token.value)

    def value(self) -> Any:
        token = self.next()
        if token.kind in ("string", "number"):
            return token.value
        if token.kind == "keyword" and token.value in ("true", "false"):
            return token.value == "true"
        raise self.fail(token, "<STRING> | <NUMBER> | true | false")

    def integer(self) -> int:
        token = self.next()
        if token.kind != "number" or "." in token.text or token.text.startswith("-"):
            raise self.fail(token, "<INTEGER>")
        return int(token.text)

    def parse(self) -> tuple[Query, str]:
        self.expect_keyword("select")
        count = False
        fields: list[str] | None = None
        token = self.peek()
        if token.kind == "keyword" and token.value == "count":
            self.next()
            self.expect_punct("(")
            self.expect_punct("*")
            self.expect_punct(")")
            count = True
        elif token.kind == "punct" and token.value == "*":
            self.next()
            while self.peek().kind == "punct" and self.peek().value == ",":
                self.next()
                self.ident()  # "*, Sku": extra columns are already in "*"
        else:
            fields = [self.ident()]
            while self.peek().kind == "punct" and self.peek().value == ",":
                self.next()
                fields.append(self.ident())
        self.expect_keyword("from")
        entity_name = self.ident()
        query_entity = entity_name
        query = Query(entity=SPECS["Item"], count=count, fields=fields)
        if self.keyword("where"):
            query.conditions.append(self.condition())
            while self.keyword("and"):
                query.conditions.append(self.condition())
        if self.keyword("orderby") or self.order_by_words():
            query.order.append(self.order_item())
            while self.peek().kind == "punct" and self.peek().value == ",":
                self.next()
                query.order.append(self.order_item())
        seen: set[str] = set()
        while True:
            token = self.peek()
            if token.kind == "keyword" and token.value in ("startposition", "maxresults") and (
                token.value not in seen
            ):
                self.next()
                seen.add(str(token.value))
                number = self.integer()
                if token.value == "startposition":
                    query.start = max(number, 1)
                else:
                    query.max_results = number
                continue
            break
        if self.peek().kind == "punct" and self.peek().value == ";":
            self.next()
        end = self.peek()
        if end.kind != "end":
            raise self.fail(end, "WHERE | AND | ORDERBY | STARTPOSITION | MAXRESULTS | <EOF>")
        return query, query_entity

    def condition(self) -> Condition:
        name = self.ident()
        token = self.next()
        if token.kind == "op":
            return Condition(name, str(token.value), [self.value()])
        if token.kind == "keyword" and token.value == "in":
            self.expect_punct("(")
            values = [self.value()]
            while self.peek().kind == "punct" and self.peek().value == ",":
                self.next()
                values.append(self.value())
            self.expect_punct(")")
            return Condition(name, "in", values)
        if token.kind == "keyword" and token.value == "like":
            pattern = self.next()
            if pattern.kind != "string":
                raise self.fail(pattern, "<STRING>")
            return Condition(name, "like", [pattern.value])
        raise self.fail(token, '"=" | "<" | ">" | "<=" | ">=" | IN | LIKE')

    def order_item(self) -> tuple[str, bool]:
        name = self.ident()
        if self.keyword("desc"):
            return name, True
        self.keyword("asc")
        return name, False


def parse(text: str) -> Query:
    """Parse a query; raise 4000 (syntax) or 4001 (QueryValidationError)."""
    query, entity_name = _Parser(text).parse()
    try:
        query.entity = spec_for(entity_name)
    except KeyError:
        raise faults.query_invalid(f"Invalid context declaration : {entity_name}") from None
    names = {f.lower() for f in query.entity.fields}
    used = [c.field for c in query.conditions] + [f for f, _ in query.order] + (query.fields or [])
    for name in used:
        if name.split(".")[0].lower() not in names:
            raise faults.query_invalid(
                f"property '{name}' is not queryable on {query.entity.name}")
    if query.max_results > MAX_RESULTS_LIMIT:
        raise faults.query_invalid(
            f"value {query.max_results} is too large. Max allowed value is {MAX_RESULTS_LIMIT}")
    if query.max_results < 1:
        raise faults.query_invalid(f"MAXRESULTS must be at least 1, got {query.max_results}")
    return query


# -- evaluation ------------------------------------------------------------------------
def _as_number(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, str):
        try:
            return Decimal(value)
        except InvalidOperation:
            return None
    return None


def _as_datetime(value: Any) -> dt.datetime | None:
    if not isinstance(value, str) or len(value) < 10 or value[4:5] != "-":
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=_TZ)


def _compare(actual: Any, expected: Any) -> int | None:
    """Three-way compare; None when the two cannot be compared."""
    if isinstance(actual, bool) or isinstance(expected, bool):
        if isinstance(expected, str) and expected.lower() in ("true", "false"):
            expected = expected.lower() == "true"
        if not isinstance(actual, bool) or not isinstance(expected, bool):
            return None
        return (actual > expected) - (actual < expected)
    a_dt, e_dt = _as_datetime(actual), _as_datetime(expected)
    if a_dt is not None and e_dt is not None:
        return (a_dt > e_dt) - (a_dt < e_dt)
    digits = isinstance(actual, str) and isinstance(expected, str) and (
        actual.isdigit() and expected.isdigit())
    if not isinstance(actual, str) or isinstance(expected, Decimal) or digits:
        a_num, e_num = _as_number(actual), _as_number(expected)
        if a_num is not None and e_num is not None:
            return (a_num > e_num) - (a_num < e_num)
    if isinstance(actual, str | int | Decimal) and isinstance(expected, str | int | Decimal):
        a_text, e_text = str(actual).casefold(), str(expected).casefold()
        return (a_text > e_text) - (a_text < e_text)
    return None


def _like(actual: Any, pattern: str) -> bool:
    if actual is None:
        return False
    regex = "^" + ".*".join(re.escape(part) for part in pattern.split("%")) + "$"
    return re.match(regex, str(actual), re.IGNORECASE | re.DOTALL) is not None


def matches(record: dict[str, Any], cond: Condition) -> bool:
    """Whether a record satisfies one condition."""
    actual = resolve(record, cond.field)
    if actual is None:
        return False
    if cond.op == "like":
        return _like(actual, cond.values[0])
    if isinstance(actual, str):
        keys = cond.string_keys()
        if keys is not None:  # = / IN with plain strings: set membership, same answer
            number = digit_number(actual)
            return actual.casefold() in keys[0] or (number is not None and number in keys[1])
    if cond.op == "in":
        return any(_compare(actual, v) == 0 for v in cond.values)
    result = _compare(actual, cond.values[0])
    if result is None:
        return False
    return {"=": result == 0, "<": result < 0, ">": result > 0, "<=": result <= 0,
            ">=": result >= 0}[cond.op]


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, 0)
    if isinstance(value, bool):
        return (1, int(value))
    moment = _as_datetime(value)
    if moment is not None:
        return (2, moment.timestamp())
    number = _as_number(value)
    if number is not None:
        return (3, number)
    return (4, str(value).casefold())


def _sorter(name: str) -> Callable[[dict[str, Any]], tuple[int, Any]]:
    return lambda record: _sort_key(resolve(record, name))


def _matching(query: Query, view: View) -> list[dict[str, Any]]:
    """Every visible record the statement selects, in its order (before paging)."""
    records = _candidates(query, view)
    filters_active = any(c.field.lower() == "active" for c in query.conditions)
    if query.entity.has_active and not filters_active:
        records = [r for r in records if r.get("Active", True)]
    records = [r for r in records if all(matches(r, c) for c in query.conditions)]
    for name, descending in reversed(query.order):
        records.sort(key=_sorter(name), reverse=descending)
    return records


def execute(query: Query, view: View) -> dict[str, Any]:
    """Run a parsed query against what ``view`` may see; return ``QueryResponse``.

    The pages of one statement share its matching rows (:mod:`.query_cache`) while
    the company is unchanged; a batch's view (which hides some records) is not cached.
    """
    if view.hidden:
        records = _matching(query, view)
    else:
        key = (query.entity.name, repr(query.conditions), tuple(query.order))
        records = view.company.query_cache.rows(key, lambda: _matching(query, view))
    if query.count:
        return {"totalCount": len(records)}
    page = records[query.start - 1:query.start - 1 + query.max_results]
    if not page:
        return {}
    if query.fields is not None:
        page = [_project(r, query.fields) for r in page]
    return {query.entity.name: page, "startPosition": query.start, "maxResults": len(page)}


def _candidates(query: Query, view: View) -> list[dict[str, Any]]:
    """Visible records that may match, by numeric Id: from an index when one applies.

    An ``=`` / ``IN`` on an indexed field (Id, Sku, Name, DisplayName, DocNumber) with
    plain string values narrows the scan to the index's candidates (a superset of the
    matches); every condition is still evaluated on them, so results are unchanged.
    """
    best: set[str] | None = None
    for cond in query.conditions:
        if cond.field.lower() not in QUERY_INDEXED_FIELDS or cond.string_keys() is None:
            continue
        ids = view.company.field_candidates(query.entity.name, cond.field, cond.values)
        if ids is not None and (best is None or len(ids) < len(best)):
            best = ids
    if best is None:
        return view.all(query.entity.name)
    return view.by_ids(query.entity.name, best)


def _project(record: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {"Id": record["Id"], "SyncToken": record["SyncToken"],
                           "domain": "QBO", "sparse": True}
    for name in fields:
        top = name.split(".")[0]
        key = next((k for k in record if k.lower() == top.lower()), None)
        if key is not None:
            out[key] = record[key]
    return out
