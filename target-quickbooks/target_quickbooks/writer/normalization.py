"""Records the tap could not normalise: rejected before mapping, the rest of the feed flows.

CONTRACT (README, record contract): any record may carry ``normalization_errors``,
a list of ``{"field": "<dotted path>", "reason": "<text>", "value": <raw or null>}``
set by a tap that passed on a source record it could not normalise (instead of
failing the whole stream). Such a record is rejected with the tap's reason and
field, kept in pending like any rejected record (retried every run; a newer version
of the record without errors replaces it), and never mapped: a half-normalised record
could map cleanly and book something the source does not say.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from target_quickbooks.writer.base import WriterBase

FIELD = "normalization_errors"
NORMALIZATION_HINT = (
    "correct the field at the source; the tap sends the record again when it changes there, "
    "and that version replaces this one (until then it is retried, and rejected, every run)"
)
_VALUE_MAX = 100


def _value_text(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str) if not isinstance(
        value, str) else repr(value)
    return text if len(text) <= _VALUE_MAX else text[:_VALUE_MAX] + "…"


def normalization_problem(record: Mapping[str, Any]) -> tuple[str, str] | None:
    """The reason and field to reject a record with, or None when the tap marked nothing."""
    errors = record.get(FIELD)
    if errors in (None, "", []):
        return None
    if not isinstance(errors, list) or not all(isinstance(item, Mapping) for item in errors):
        return (f"the tap marked the record as not normalised, in a form the record contract "
                f"does not know: {FIELD} = {_value_text(errors)}", FIELD)
    parts = [f"{item.get('field') or '?'}: {item.get('reason') or 'no reason given'} "
             f"(value {_value_text(item.get('value'))})" for item in errors]
    return ("the tap could not normalise this record: " + "; ".join(parts),
            str(errors[0].get("field") or FIELD))


class NormalizationGate(WriterBase):
    """Rejects the records the tap marked, before any planner sees them."""

    def _without_unnormalised(self, stream: str,
                              records: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        """``records`` minus the keys whose latest version carries normalization errors.

        The latest version of a key decides (as everywhere in the writer): an older
        marked version followed by a clean one is simply superseded.
        """
        latest: dict[str, int] = {}
        keys = [self._key(stream, record) for record in records]
        for index, key in enumerate(keys):
            latest[key] = index
        refused: set[str] = set()
        for key, index in latest.items():
            problem = normalization_problem(records[index])
            if problem is not None:
                reason, field_name = problem
                self._reject(stream, key, records[index], reason, hint=NORMALIZATION_HINT,
                             field_name=field_name)
                refused.add(key)
        return [record for record, key in zip(records, keys, strict=True)
                if key not in refused and normalization_problem(record) is None]
