"""Fault bodies exactly as QuickBooks Online shapes them.

Why a module of its own: the emulator's value lies in answering with the *same* shapes
as QBO (capitalised ``Fault`` JSON, the lower-case 401 variant, the XML 429), so that
the connector's error translation is exercised against them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from .localization import localize

try:  # QBO stamps times in the company's (Pacific) time zone.
    from zoneinfo import ZoneInfo

    _TZ: dt.tzinfo = ZoneInfo("America/Los_Angeles")
except Exception:  # pragma: no cover - tzdata missing on the host
    _TZ = dt.timezone(dt.timedelta(hours=-8))

VALIDATION = "ValidationFault"
AUTHORIZATION = "AuthorizationFault"
SYSTEM = "SystemFault"

MSG_UNSUPPORTED_PROPERTY = "Request has invalid or unsupported property"
MSG_REQUIRED = "Required param missing, need to supply the required value for the API"
MSG_INVALID_REF = "Invalid Reference Id"
MSG_BUSINESS = "A business validation error has occurred while processing your request"
MSG_DUPLICATE_NAME = "Duplicate Name Exists Error"
MSG_STALE = "Stale Object Error"
MSG_NOT_FOUND = "Object Not Found"
MSG_DUPLICATE_DOC = "Duplicate Document Number Error"
MSG_STRING_LENGTH = "String length is either shorter or longer than supported by specification"
MSG_INVALID_STRING = "Invalid String. The String may contain unsupported or illegal chars"
MSG_QUERY_PARSE = "Error parsing query"
MSG_QUERY_INVALID = "Invalid query"
MSG_UNSUPPORTED_OPERATION = "Unsupported Operation"


def qbo_time(*, with_millis: bool = True) -> str:
    """Return "now" the way QBO writes it, e.g. ``2026-03-06T05:21:08.093-08:00``."""
    now = dt.datetime.now(_TZ)
    if with_millis:
        return now.isoformat(timespec="milliseconds")
    return now.isoformat(timespec="seconds")


class QboFault(Exception):
    """A QBO ``Fault`` to answer with; raised anywhere below the HTTP layer.

    Args:
        code: QBO error code (string in the body, e.g. ``"6240"``).
        message: ``Message`` of the error (QBO's generic text for the code).
        detail: ``Detail`` naming the field, the value and what is wrong.
        element: ``element`` (the offending field, may be empty).
        status: HTTP status to answer with (400 for validation faults).
        fault_type: ``Fault.type``.
        translations: ``(Message, Detail)`` per language where the generic French
            table of :mod:`quickbooks_emulator.localization` is not enough (6240, 5010).
    """

    def __init__(
        self,
        code: str,
        message: str,
        detail: str,
        element: str = "",
        *,
        status: int = 400,
        fault_type: str = VALIDATION,
        translations: dict[str, tuple[str, str]] | None = None,
    ) -> None:
        super().__init__(f"{code} {message}: {detail}")
        self.code = code
        self.message = message
        self.detail = detail
        self.element = element
        self.status = status
        self.fault_type = fault_type
        self.translations = dict(translations or {})

    def fault(self, language: str = "en") -> dict[str, Any]:
        """Return the inner ``Fault`` object (used as-is inside batch responses).

        ``element`` is always present, ``""`` when no field is named (real bodies carry
        ``'element': ''``: python-quickbooks issue #127 (routablehq fork), PHP SDK #241).
        ``language`` is the company's: a French company answers in French, codes and
        the ``Id=NNN`` suffix unchanged.
        """
        message, detail = localize(self.code, self.message, self.detail, self.translations,
                                   language)
        error = {"Message": message, "Detail": detail, "code": self.code,
                 "element": self.element}
        return {"Error": [error], "type": self.fault_type}

    def body(self, language: str = "en") -> dict[str, Any]:
        """Return the full response body ``{"Fault": ..., "time": ...}``."""
        return {"Fault": self.fault(language), "time": qbo_time()}


def unsupported_property(field: str, cls: str) -> QboFault:
    """2010: a property QBO does not know (Jackson's "Unrecognized field")."""
    return QboFault(
        "2010",
        MSG_UNSUPPORTED_PROPERTY,
        f'Property Name:Unrecognized field "{field}" (class com.intuit.schema.finance.v3.{cls}),'
        " not marked as ignorable specified is unsupported or invalid",
        field,
    )


def invalid_value(field: str, value: object, why: str) -> QboFault:
    """2010: a property whose value cannot be read (wrong type, bad enum, bad date)."""
    return QboFault(
        "2010", MSG_UNSUPPORTED_PROPERTY, f"Property Name:{field} value {value!r}: {why}", field
    )


def required(field: str) -> QboFault:
    """2020: a required property is missing."""
    return QboFault("2020", MSG_REQUIRED, f"Required parameter {field} is missing in the request",
                    field)


def invalid_reference(field: str, entity: str, ref: object, why: str = "not found") -> QboFault:
    """2500: a ``...Ref`` pointing at nothing usable."""
    return QboFault(
        "2500", MSG_INVALID_REF, f"Invalid Reference Id : {field}: {entity} Id={ref} {why}", field
    )


def business(detail: str, element: str = "") -> QboFault:
    """6000: generic business validation error."""
    return QboFault("6000", MSG_BUSINESS, f"Business Validation Error: {detail}", element)


def string_length(field: str, maximum: int, supplied: int) -> QboFault:
    """2050: string too long (QBO's wording, with the limit and the supplied length)."""
    return QboFault(
        "2050",
        MSG_STRING_LENGTH,
        f"String length specified does not match the supported length. Min:0 Max:{maximum}"
        f" supported. Supplied length:{supplied}",
        field,
    )


def invalid_string(field: str, value: str) -> QboFault:
    """2040: a name with a colon, tab or newline."""
    return QboFault(
        "2040",
        MSG_INVALID_STRING,
        f"Element contains invalid characters (colon, tab or newline are not allowed): {value!r}",
        field,
    )


def duplicate_name(existing_id: str, kind: str) -> QboFault:
    """6240: name already used; Detail ends with the existing record's ``Id=NNN``.

    French wording from real French companies ("Nom en double", "Ce nom existe déjà. :
    Id=425"; reference/quickbooks-online.md, "Learned since").
    """
    return QboFault(
        "6240",
        MSG_DUPLICATE_NAME,
        f"The name supplied already exists. Another {kind} is already using this name."
        f" : Id={existing_id}",
        "Name",
        translations={"fr": ("Nom en double", f"Ce nom existe déjà. : Id={existing_id}")},
    )


#: Who "else" changed the object in a 5010 (the emulator's one company user).
COMPANY_USER = "Demo User"


def stale() -> QboFault:
    """5010: update carrying an old SyncToken.

    Real QuickBooks names the user who saved first and nothing else: no SyncToken,
    ``element`` empty ("Stale Object Error : You and API API were working on this at the
    same time. API API finished before you did, so your work was not saved.", with
    ``'element': ''``: python-quickbooks issue #127, routablehq fork; same wording in
    QuickBooks-V3-DotNET-SDK issue #366). The French text is a translation (a guess).
    """
    user = COMPANY_USER
    return QboFault(
        "5010",
        MSG_STALE,
        f"Stale Object Error : You and {user} were working on this at the same time. {user}"
        " finished before you did, so your work was not saved.",
        "",
        translations={"fr": (
            "Erreur d'objet périmé",
            f"Erreur d'objet périmé : Vous et {user} travailliez sur cet élément en même temps."
            f" {user} a terminé avant vous, votre travail n'a donc pas été enregistré.")},
    )


def missing_quantity(line: int, item_id: str, name: str) -> QboFault:
    """6520: an Inventory item's line without ``Qty``.

    Real wording and empty element: {"Message":"Missing Inventory Item Quantity",
    "Detail":"Quantity required for inventory item","code":"6520","element":""}
    (n8n-io/n8n issue #12956). The line and item that follow the Detail are the
    emulator's addition, to name the fix.
    """
    return QboFault(
        "6520",
        "Missing Inventory Item Quantity",
        f"Quantity required for inventory item (Line {line}: Item Id={item_id} ({name}) is an"
        " Inventory item; supply SalesItemLineDetail.Qty)",
        "",
    )


def not_found(entity: str, object_id: str) -> QboFault:
    """610: object not found."""
    return QboFault(
        "610",
        MSG_NOT_FOUND,
        f"Object Not Found : Something you're trying to use has been made inactive or does not"
        f" exist: {entity} Id={object_id}",
        "Id",
    )


def unsupported_operation(detail: str) -> QboFault:
    """500 (code): operation or resource that QBO (or this emulator) does not serve."""
    return QboFault("500", MSG_UNSUPPORTED_OPERATION, detail)


def query_parse(detail: str) -> QboFault:
    """4000: the query does not parse."""
    return QboFault("4000", MSG_QUERY_PARSE, f"QueryParserError: {detail}")


def query_invalid(detail: str) -> QboFault:
    """4001: the query parses but is not allowed (QueryValidationError)."""
    return QboFault("4001", MSG_QUERY_INVALID, f"QueryValidationError: {detail}")


def realm_mismatch(realm: str) -> QboFault:
    """3100 (HTTP 403): token's company differs from the URL's (sandbox vs production)."""
    return QboFault(
        "3100",
        "message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403",
        f"Realm {realm} is not the company this token was issued for (wrong environment?)",
        status=403,
        fault_type=AUTHORIZATION,
    )


def system_error() -> QboFault:
    """10000 (HTTP 500): QBO's generic server error."""
    return QboFault(
        "10000",
        "An application error has occurred while processing your request",
        "System Failure Error: injected by the emulator",
        status=500,
        fault_type=SYSTEM,
    )


def lowercase_auth_fault(detail: str) -> dict[str, Any]:
    """Body of the 401 for a missing, unknown or expired bearer token (lower-case keys).

    Shape of real bodies (python-quickbooks issues #118 and #250, routablehq fork): the
    error carries ``detail`` ("Malformed bearer token: too short or too long"; "Token
    expired: ..." in QuickBooks-V3-Java-SDK #159) and ``element: null``, beside the
    envelope's other null/empty members.
    """
    return {
        "warnings": None,
        "intuitObject": None,
        "fault": {
            "error": [
                {
                    "message": "message=AuthenticationFailed; errorCode=003200; statusCode=401",
                    "detail": detail,
                    "code": "3200",
                    "element": None,
                }
            ],
            "type": "AUTHENTICATION",
        },
        "report": None,
        "queryResponse": None,
        "batchItemResponse": [],
        "attachableResponse": [],
        "syncErrorResponse": None,
        "requestId": None,
        "time": int(dt.datetime.now(dt.timezone.utc).timestamp() * 1000),
        "status": None,
        "cdcresponse": [],
    }


def throttle_xml() -> bytes:
    """Body of the 429: XML even when JSON was asked.

    Real body (reference/quickbooks-online.md, "Learned since"): the v3 namespace on
    ``IntuitResponse`` and a ``<Detail>`` after the ``<Message>``.
    """
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<IntuitResponse xmlns="http://schema.intuit.com/finance/v3" time="{qbo_time()}">'
        '<Fault type="SERVICE"><Error code="3001">'
        "<Message>message=ThrottleExceeded; errorCode=003001; statusCode=429</Message>"
        "<Detail>The request limit was reached.  Try again later</Detail>"
        "</Error></Fault></IntuitResponse>"
    ).encode()
