"""Pure conversions from myFulfillment's wire format to the record contract.

myFulfillment sends numbers as decimal strings (``"12.9000"``), ids as strings
or integers and timestamps as ``"YYYY-MM-DD HH:MM:SS"`` in UTC without a zone.
The record contract (docs/architecture.md) wants exact numbers (``Decimal``, which
singer-sdk writes without float rounding), string ids and ISO 8601 UTC
timestamps. The conversion is driven by each stream's JSON schema, so the schema
is the single statement of a field's type.
"""

from __future__ import annotations

import datetime as dt
import decimal
import typing as t

from tap_myfulfillment.marks import Problem

_UTC = dt.timezone.utc


class RecordFormatError(ValueError):
    """A field cannot be converted to the type its schema declares.

    ``reason`` is the message without the record and field label, for
    ``normalization_errors`` (see ``tap_myfulfillment.marks``).
    """

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        """The full message, and the reason alone."""
        super().__init__(message)
        self.reason = reason or message


def _types(schema: t.Mapping[str, t.Any]) -> set[str]:
    declared = schema.get("type", [])
    if isinstance(declared, str):
        return {declared}
    types = set(declared)
    for option in schema.get("anyOf", []) or []:
        types |= _types(option)
    return types


def to_decimal(value: t.Any, *, where: str) -> decimal.Decimal | int | None:
    """Convert a decimal string (or JSON number) to an exact number.

    Args:
        value: ``"12.9000"``, ``12``, ``Decimal``; ``""``/``None`` mean unknown.
        where: Record and field, for the error message.

    Returns:
        A ``Decimal`` (or the int unchanged), or None for an empty value.

    Raises:
        RecordFormatError: the value is not a number.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, decimal.Decimal)):
        return value
    if isinstance(value, float):
        # Only reachable if a caller parsed JSON without parse_float=Decimal.
        return decimal.Decimal(repr(value))
    try:
        number = decimal.Decimal(str(value).strip().replace(",", "."))
    except decimal.InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        reason = f"{value!r} is not a decimal number; fix the value in myFulfillment"
        raise RecordFormatError(f"{where}: {reason}", reason=reason)
    return number


def to_utc_iso(value: t.Any, *, where: str) -> str | None:
    """Convert a myFulfillment timestamp to ISO 8601 UTC.

    ``"2026-03-01 10:00:00"`` (UTC, no zone) becomes
    ``"2026-03-01T10:00:00+00:00"``; values that already carry an offset are
    converted to UTC.

    Args:
        value: The timestamp string; ``""``/``None`` mean unknown.
        where: Record and field, for the error message.

    Returns:
        The ISO string, or None.

    Raises:
        RecordFormatError: the value is not a timestamp.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    parsed = parse_timestamp(value, where=where)
    return parsed.isoformat()


def parse_timestamp(value: t.Any, *, where: str) -> dt.datetime:
    """Parse a timestamp (wire or ISO format) into an aware UTC datetime.

    Args:
        value: ``"2026-03-01 10:00:00"``, ``"2026-03-01T10:00:00Z"``, a datetime...
        where: Context for the error message.

    Returns:
        The aware UTC datetime, without microseconds when the source had none.

    Raises:
        RecordFormatError: the value is not a timestamp.
    """
    if isinstance(value, dt.datetime):
        parsed = value
    else:
        text = str(value).strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            parsed = dt.datetime.fromisoformat(text)
        except ValueError:
            reason = (
                f"{value!r} is not a timestamp "
                "(expected 'YYYY-MM-DD HH:MM:SS' in UTC); fix the value in myFulfillment"
            )
            raise RecordFormatError(f"{where}: {reason}", reason=reason) from None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=_UTC)
    return parsed.astimezone(_UTC)


def _to_string(value: t.Any) -> t.Any:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (int, decimal.Decimal)):
        return str(value)
    return value


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def conform(
    value: t.Any,
    schema: t.Mapping[str, t.Any],
    *,
    where: str,
    problems: list[Problem] | None = None,
    path: str = "",
) -> t.Any:
    """Convert one value (recursively) to the types its JSON schema declares.

    Unknown properties are kept (singer-sdk drops and reports them later), missing
    ones are not added, and empty strings for numbers, timestamps and objects
    become null (an empty array for arrays).

    Args:
        value: The raw value from the API.
        schema: The JSON schema of the value.
        where: Record and field path, for error messages.
        problems: Where to note a value that cannot be converted (it becomes
            null); without it, such a value raises ``RecordFormatError``.
        path: The value's path in the record (``items[2].price``), for ``problems``.

    Returns:
        The converted value.

    Raises:
        RecordFormatError: a value cannot be converted and ``problems`` is None.
    """
    if value is None:
        return None
    types = _types(schema)
    try:
        return _conform(value, schema, types, where=where, problems=problems, path=path)
    except RecordFormatError as error:
        if problems is None:
            raise
        problems.append(Problem.of(path, error.reason, value))
        return None


def _conform(
    value: t.Any,
    schema: t.Mapping[str, t.Any],
    types: set[str],
    *,
    where: str,
    problems: list[Problem] | None,
    path: str,
) -> t.Any:
    if "object" in types and isinstance(value, dict):
        properties = schema.get("properties", {})
        return {
            key: conform(item, properties[key], where=f"{where}.{key}", problems=problems,
                         path=_join(path, key))
            if key in properties
            else item
            for key, item in value.items()
        }
    if "array" in types and isinstance(value, list):
        item_schema = schema.get("items", {})
        return [
            conform(item, item_schema, where=f"{where}[{index}]", problems=problems,
                    path=f"{path}[{index}]")
            for index, item in enumerate(value)
        ]
    if types & {"array", "object"} and isinstance(value, str) and not value.strip():
        return [] if "array" in types else None
    if types & {"array", "object"} and not types & {"string", "number", "integer", "boolean"}:
        shape = "a list" if "array" in types else "an object"
        reason = f"{value!r} is not {shape}; fix the value in myFulfillment"
        raise RecordFormatError(f"{where}: {reason}", reason=reason)
    if types & {"number", "integer"} and "string" not in types:
        return to_decimal(value, where=where)
    if "string" in types and schema.get("format") == "date-time":
        return to_utc_iso(value, where=where)
    if "string" in types:
        if isinstance(value, (dict, list)):
            reason = f"{_short(value)} is not text; fix the value in myFulfillment"
            raise RecordFormatError(f"{where}: {reason}", reason=reason)
        return _to_string(value)
    return value


def _short(value: t.Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def conform_record(
    record: dict[str, t.Any],
    schema: t.Mapping[str, t.Any],
    *,
    stream: str,
    key_field: str,
    problems: list[Problem] | None = None,
) -> dict[str, t.Any]:
    """Conform a whole record, naming the stream and record in any error.

    Args:
        record: The raw record from the API.
        schema: The stream's JSON schema.
        stream: Stream name, for error messages.
        key_field: Field identifying the record in error messages.
        problems: Where to note the fields that cannot be converted (see ``conform``).

    Returns:
        The converted record.
    """
    label = f"{stream} record {key_field}={record.get(key_field)!r}, field "
    properties = schema.get("properties", {})
    return {
        key: conform(value, properties[key], where=f"{label}{key}", problems=problems, path=key)
        if key in properties
        else value
        for key, value in record.items()
    }


def missing_required(
    record: dict[str, t.Any],
    raw: t.Mapping[str, t.Any],
    schema: t.Mapping[str, t.Any],
    *,
    skip: t.Collection[str],
) -> list[Problem]:
    """Note required fields the source left empty, and set them to null.

    A record missing a required field would fail the target's schema validation
    and stop the whole feed; with the field present (null, which the schema
    allows) and the problem noted, the target rejects this record alone.

    Args:
        record: The conformed record (changed in place).
        raw: The record as received, for the raw value.
        schema: The schema the record was conformed to.
        skip: Required fields not to check here (keys, the bookmark field, and
            fields computed later).

    Returns:
        One problem per required field that is missing or empty.
    """
    problems = []
    for name in schema.get("required", []):
        if name in skip or record.get(name) not in (None, ""):
            continue
        record[name] = None
        if raw.get(name) in (None, ""):  # a value that failed to convert is noted already
            problems.append(Problem.of(
                name, f"`{name}` is missing in the source document; add it in myFulfillment",
                raw.get(name)))
    return problems
