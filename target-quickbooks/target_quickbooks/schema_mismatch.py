"""Records that do not match their stream's schema: one warning per field, not per record.

The target checks every record against its own record contract (the mappers), so a
record the tap's schema does not describe is still written correctly; the schema
mismatch is a hint about the tap's configuration, not about one record. The usual
cause is a field built by ``stream_maps`` (an invoice's ``items`` list, a
customer's ``billing_address``), which the SDK declares as ``string``: every record
then mismatches in the same way, and a warning per record would flood the log with
the records' contents (customer addresses included). So each (stream, field, rule)
is reported once, by its JSON path and the rule broken, without the value, with the
fix; the count is logged when the stream's sink is cleaned up.
"""

from __future__ import annotations

import logging
from collections import Counter
from decimal import Decimal

#: Where the README explains how to type a field built by ``stream_maps``.
FIX = ("declare the field's type with the extractor's `schema` extra (a field built by "
       "`stream_maps` is typed string by the SDK); see target-quickbooks/README.md, "
       "\"Typing fields built by stream_maps\"")


def _kind(value: object) -> str:
    """The JSON type name of a value, for a message that must not show the value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float, Decimal)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def describe(error: BaseException) -> tuple[str, str]:
    """(JSON path, rule broken) of a validation error, without the record's value.

    singer-sdk raises ``InvalidRecord`` from jsonschema's ``ValidationError``, which
    carries the path, the keyword and the schema's value for it.
    """
    cause = error.__cause__
    path = getattr(cause, "json_path", None)
    keyword = getattr(cause, "validator", None)
    if not isinstance(path, str) or keyword is None:
        return "$", str(getattr(error, "error_message", error))[:200]
    rule = f"schema `{keyword}`: {getattr(cause, 'validator_value', None)!r}"
    if keyword == "type":
        rule += f", the record holds {_kind(getattr(cause, 'instance', None))}"
    return path, rule


class SchemaMismatches:
    """Counts a stream's schema mismatches; warns once per (path, rule)."""

    def __init__(self, stream: str, logger: logging.Logger) -> None:
        self.stream = stream
        self.logger = logger
        self.counts: Counter[tuple[str, str]] = Counter()

    def note(self, error: BaseException) -> None:
        """Count one record's mismatch; the first of its kind is logged with the fix."""
        key = describe(error)
        self.counts[key] += 1
        if self.counts[key] == 1:
            path, rule = key
            self.logger.warning(
                "%s records do not match the stream's schema at %s (%s); each is checked "
                "against the target's record contract instead and written if it holds. "
                "Fix: %s. Further records with this mismatch are counted, not logged.",
                self.stream, path, rule, FIX)

    def summary(self) -> None:
        """Log how many records had each mismatch (called when the sink is cleaned up)."""
        for (path, rule), count in sorted(self.counts.items()):
            self.logger.warning("%d %s record(s) did not match the stream's schema at %s (%s).",
                                count, self.stream, path, rule)
