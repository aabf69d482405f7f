"""``normalization_errors``: what the tap could not normalise in a record, carried with it.

One malformed source document (a guest order without an email, an amount the
tap cannot read) must not stop a whole stream: every later document would wait
until someone repaired the source. So the tap passes such a record on, with the
fields it could not normalise set to a schema-valid value (null, or a
placeholder key) and a list saying what was wrong, and the target rejects that
record with the reason and keeps it. The shape is a contract with the target:

``normalization_errors``: absent when the record is fine, else a JSON array of
``{"field": "<dotted path: customer_email, items[2].price>", "reason": "<what is
wrong, human readable>", "value": <the raw value as a string, or null>}``.
"""

from __future__ import annotations

import json
import typing as t
from dataclasses import dataclass

from singer_sdk import typing as th

#: Name of the record field holding the problems.
FIELD = "normalization_errors"

#: The field's schema, declared in every stream's schema.
PROPERTY = th.Property(
    FIELD,
    th.ArrayType(
        th.ObjectType(
            th.Property("field", th.StringType, required=True,
                        description="Dotted path in the record, e.g. items[2].price"),
            th.Property("reason", th.StringType, required=True,
                        description="What is wrong and how to fix it in myFulfillment"),
            th.Property("value", th.StringType, description="The raw source value, or null"),
        )
    ),
    description=(
        "Absent when the record is fine. Otherwise what the tap could not normalise: "
        "those fields hold null (or a placeholder key) and the target rejects the record"
    ),
)


def raw_text(value: t.Any) -> str | None:
    """The raw value as a string for the contract's ``value`` (None stays null)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, (dict, list)):
        return json.dumps(value, default=str, ensure_ascii=False)
    return str(value)


@dataclass(frozen=True)
class Problem:
    """One field the tap could not normalise."""

    field: str
    reason: str
    value: str | None

    @classmethod
    def of(cls, field: str, reason: str, raw: t.Any) -> Problem:
        """A problem with the raw value turned into the contract's string form."""
        return cls(field, reason, raw_text(raw))

    def as_dict(self) -> dict[str, str | None]:
        """The contract's JSON object."""
        return {"field": self.field, "reason": self.reason, "value": self.value}


def attach(record: dict[str, t.Any], problems: t.Iterable[Problem]) -> dict[str, t.Any]:
    """Add ``problems`` to the record's ``normalization_errors`` (nothing when none).

    Args:
        record: The normalised record (changed in place).
        problems: What could not be normalised.

    Returns:
        The record.
    """
    found = [problem.as_dict() for problem in problems]
    if found:
        record[FIELD] = [*(record.get(FIELD) or []), *found]
    return record


def problems_of(record: t.Mapping[str, t.Any]) -> list[Problem]:
    """The problems already attached to a record."""
    return [Problem(str(p["field"]), str(p["reason"]), p.get("value"))
            for p in record.get(FIELD) or []]
