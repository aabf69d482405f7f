"""Exceptions of the QuickBooks client and the parser of QuickBooks ``Fault`` bodies.

QuickBooks reports errors in three shapes: the documented upper-case JSON
``{"Fault": {"Error": [...], "type": ...}}``, a lower-case JSON variant that
some 401s use, and an XML ``<Fault>`` that throttling (429) returns even when
JSON was asked for. :func:`parse_fault` turns all three into one
:class:`QuickBooksFault` so callers never look at raw bodies.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree

from target_quickbooks.qbo.redact import redact

#: Largest body parsed as XML; throttling faults are a few hundred bytes.
_MAX_XML_BYTES = 64 * 1024


@dataclass(frozen=True)
class FaultError:
    """One entry of a Fault's ``Error`` list."""

    code: str
    message: str
    detail: str
    element: str | None = None


class QuickBooksError(Exception):
    """Base of every error the client raises; its text never contains a token.

    Attributes:
        partial_results: set by ``QuickBooksClient.batch`` when some chunks
            finished before this error stopped the call, so the caller can still
            record what QuickBooks created (list aligned with the input, ``None``
            where a chunk did not complete).
    """

    partial_results: list[Any] | None = None


class QuickBooksFault(QuickBooksError):
    """A Fault returned by QuickBooks (an HTTP 4xx, or one item of a batch 200).

    Attributes:
        status: HTTP status, ``None`` for a per-item batch fault.
        fault_type: ``ValidationFault``, ``AuthenticationFault``, ``SERVICE``...
        errors: the Fault's errors, at least one.
        intuit_tid: Intuit's transaction id, to quote to Intuit support.
    """

    def __init__(
        self,
        *,
        status: int | None,
        fault_type: str,
        errors: list[FaultError],
        intuit_tid: str | None = None,
    ) -> None:
        self.status = status
        self.fault_type = fault_type
        self.errors = errors or [FaultError(code="", message="Unknown fault", detail="")]
        self.intuit_tid = intuit_tid
        super().__init__(self.describe())

    @property
    def code(self) -> str:
        """Code of the first error (``"6240"``, ``"3001"``...)."""
        return self.errors[0].code

    @property
    def message(self) -> str:
        """Message of the first error."""
        return self.errors[0].message

    @property
    def detail(self) -> str:
        """Detail of the first error (falls back to its message)."""
        return self.errors[0].detail or self.errors[0].message

    @property
    def element(self) -> str | None:
        """Element (field) the first error is about, when QuickBooks names one."""
        return self.errors[0].element

    def has_code(self, code: str) -> bool:
        """Tell whether any error of the Fault carries ``code``."""
        return any(error.code == code for error in self.errors)

    def describe(self) -> str:
        """Render ``code 6240 Duplicate Name Exists Error: <Detail> (intuit_tid=...)``."""
        parts = []
        for error in self.errors:
            text = f"code {error.code or '?'} {error.message}".rstrip()
            if error.detail and error.detail != error.message:
                text += f": {error.detail}"
            if error.element:
                text += f" [element {error.element}]"
            parts.append(text)
        described = "; ".join(parts)
        return redact(f"{described} (intuit_tid={self.intuit_tid or '-'})")


class AuthError(QuickBooksError):
    """OAuth failure that needs a person: a dead refresh token or wrong app keys."""


class RealmMismatchError(QuickBooksError):
    """403 code 3100: the company (realm) does not belong to the configured environment."""

    def __init__(self, message: str, fault: QuickBooksFault) -> None:
        self.fault = fault
        super().__init__(message)


class RetriesExhaustedError(QuickBooksError):
    """Base of the errors raised only after every retry failed.

    Attributes:
        attempts: how many times the request was sent.
        history: one short line per failed attempt (``"HTTP 502"``,
            ``"ConnectionError"``...), oldest first.
        last_fault: the last Fault QuickBooks returned, if any.
    """

    def __init__(
        self,
        message: str,
        *,
        attempts: int,
        history: list[str],
        last_fault: QuickBooksFault | None = None,
    ) -> None:
        self.attempts = attempts
        self.history = history
        self.last_fault = last_fault
        super().__init__(redact(message))


class ThrottledError(RetriesExhaustedError):
    """QuickBooks kept answering 429 (throttled) after every retry."""


class TransientError(RetriesExhaustedError):
    """Server errors (5xx), timeouts or lost connections outlasted every retry."""


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _get(mapping: Mapping[str, Any], *names: str) -> Any:
    """Read a key whatever its case (``Error`` / ``error``)."""
    for name in names:
        if name in mapping:
            return mapping[name]
    lowered = {str(key).lower(): value for key, value in mapping.items()}
    for name in names:
        if name.lower() in lowered:
            return lowered[name.lower()]
    return None


def fault_from_dict(
    fault: Mapping[str, Any], *, status: int | None, intuit_tid: str | None
) -> QuickBooksFault:
    """Build a :class:`QuickBooksFault` from a decoded ``Fault`` object (any case).

    Args:
        fault: the value of the ``Fault`` (or ``fault``) key.
        status: HTTP status, or ``None`` for a batch item.
        intuit_tid: the response's ``intuit_tid`` header.

    Returns:
        The fault.
    """
    raw_errors = _get(fault, "Error", "error") or []
    if isinstance(raw_errors, Mapping):
        raw_errors = [raw_errors]
    errors = [
        FaultError(
            code=_text(_get(item, "code", "Code")),
            message=_text(_get(item, "Message", "message")),
            detail=_text(_get(item, "Detail", "detail")),
            element=_get(item, "element", "Element") or None,
        )
        for item in raw_errors
        if isinstance(item, Mapping)
    ]
    return QuickBooksFault(
        status=status,
        fault_type=_text(_get(fault, "type", "Type")) or "Unknown",
        errors=errors,
        intuit_tid=intuit_tid,
    )


def _strip_namespace(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _parse_xml_fault(text: str, status: int, intuit_tid: str | None) -> QuickBooksFault | None:
    if len(text) > _MAX_XML_BYTES:
        return None
    try:
        # The body comes from QuickBooks (or the emulator) over TLS, is size-capped, and
        # expat in Python >= 3.7.1 refuses entity-expansion bombs; no external entities load.
        root = ElementTree.fromstring(text)  # noqa: S314
    except ElementTree.ParseError:
        return None
    fault = root if _strip_namespace(root.tag) == "Fault" else None
    if fault is None:
        fault = next((el for el in root.iter() if _strip_namespace(el.tag) == "Fault"), None)
    if fault is None:
        return None
    errors = []
    for error in (el for el in fault.iter() if _strip_namespace(el.tag) == "Error"):
        fields = {_strip_namespace(child.tag): (child.text or "").strip() for child in error}
        errors.append(
            FaultError(
                code=error.get("code", ""),
                message=fields.get("Message", ""),
                detail=fields.get("Detail", ""),
                element=error.get("element") or None,
            )
        )
    return QuickBooksFault(
        status=status,
        fault_type=fault.get("type", "Unknown"),
        errors=errors,
        intuit_tid=intuit_tid,
    )


def header(headers: Mapping[str, str] | None, name: str) -> str | None:
    """Read a header case-insensitively from any mapping (requests or plain dict)."""
    if not headers:
        return None
    value = headers.get(name)
    if value is not None:
        return value
    lowered = name.lower()
    return next((v for k, v in headers.items() if k.lower() == lowered), None)


def parse_fault(
    status: int, body: bytes | str | None, headers: Mapping[str, str] | None
) -> QuickBooksFault:
    """Turn an error response into a :class:`QuickBooksFault`, whatever its shape.

    Handles the upper-case JSON Fault, the lower-case ``{"fault": {"error": [...]}}``
    of some 401s, the XML ``<Fault>`` of throttling, and anything else (an HTML
    proxy page, an empty body) as a fault whose code is the HTTP status.

    Args:
        status: HTTP status code.
        body: response body.
        headers: response headers (for ``intuit_tid``).

    Returns:
        The fault; never raises.
    """
    intuit_tid = header(headers, "intuit_tid")
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body or ""
    stripped = text.strip()
    if stripped.startswith("{"):
        try:
            decoded = json.loads(stripped)
        except ValueError:
            decoded = None
        if isinstance(decoded, Mapping):
            fault = _get(decoded, "Fault", "fault")
            if isinstance(fault, Mapping):
                return fault_from_dict(fault, status=status, intuit_tid=intuit_tid)
            # OAuth-style {"error": "...", "error_description": "..."}
            if "error" in decoded and not isinstance(decoded["error"], (list, dict)):
                return QuickBooksFault(
                    status=status,
                    fault_type="OAuth",
                    errors=[
                        FaultError(
                            code=_text(decoded["error"]),
                            message=_text(decoded.get("error_description")),
                            detail="",
                        )
                    ],
                    intuit_tid=intuit_tid,
                )
    if stripped.startswith("<"):
        xml_fault = _parse_xml_fault(stripped, status, intuit_tid)
        if xml_fault is not None:
            return xml_fault
    snippet = re.sub(r"\s+", " ", stripped)[:200]
    return QuickBooksFault(
        status=status,
        fault_type="HTTP",
        errors=[FaultError(code=str(status), message=f"HTTP {status}", detail=snippet)],
        intuit_tid=intuit_tid,
    )
