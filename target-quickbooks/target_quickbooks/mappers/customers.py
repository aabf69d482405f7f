"""``customers`` record → QuickBooks ``Customer`` payload."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from target_quickbooks.mappers import required_text
from target_quickbooks.mappers.names import display_name

ADDRESS_LINE_MAX = 500
ADDRESS_LINES = 5
NAME_PART_MAX = 100
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
GUEST_PREFIX = "guest:"


def customer_key(record: Mapping[str, Any]) -> str:
    """The record's ``customer_key``.

    Raises:
        MappingError: when missing.
    """
    return required_text(record, "customer_key")


def discriminator(record: Mapping[str, Any]) -> str:
    """``#<customer_id>`` for a registered customer, the lower-cased email for a guest."""
    key = customer_key(record)
    if key.startswith(GUEST_PREFIX):
        return key[len(GUEST_PREFIX):].strip().lower()
    customer_id = record.get("customer_id")
    return f"#{customer_id if customer_id not in (None, '') else key}"


def customer_display_name(record: Mapping[str, Any]) -> str:
    """The deterministic unique DisplayName of a customer record.

    Raises:
        MappingError: when the record has no name nor company.
    """
    return display_name(
        firstname=record.get("firstname"),
        lastname=record.get("lastname"),
        company=record.get("company"),
        discriminator=discriminator(record),
    )


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


def _address(raw: Mapping[str, Any], warnings: list[str]) -> dict[str, str]:
    street = raw.get("street")
    lines = street.splitlines() if isinstance(street, str) else list(street or [])
    lines = [_text(line) for line in lines if _text(line)]
    if len(lines) > ADDRESS_LINES:
        lines = [*lines[: ADDRESS_LINES - 1], ", ".join(lines[ADDRESS_LINES - 1:])]
    address: dict[str, str] = {}
    for number, line in enumerate(lines, start=1):
        if len(line) > ADDRESS_LINE_MAX:
            warnings.append(
                f"billing_address.street line {number} cut to {ADDRESS_LINE_MAX} characters"
            )
            line = line[:ADDRESS_LINE_MAX]  # noqa: PLW2901
        address[f"Line{number}"] = line
    for source, target in (("city", "City"), ("postcode", "PostalCode"),
                           ("region", "CountrySubDivisionCode"), ("country_id", "Country")):
        if _text(raw.get(source)):
            address[target] = _text(raw.get(source))[:ADDRESS_LINE_MAX]
    return address


def map_customer(record: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Build the Customer payload of a customer record.

    An invalid email is dropped from the payload (with a warning) rather than
    refusing the customer: the invoice matters more than the address book.

    Returns:
        The payload and the warnings to log.

    Raises:
        MappingError: when the key or every name is missing.
    """
    warnings: list[str] = []
    payload: dict[str, Any] = {"DisplayName": customer_display_name(record)}
    for source, target in (("firstname", "GivenName"), ("lastname", "FamilyName"),
                           ("company", "CompanyName")):
        if _text(record.get(source)):
            payload[target] = _text(record.get(source))[:NAME_PART_MAX]
    email = _text(record.get("email"))
    if email:
        if _EMAIL.match(email):
            payload["PrimaryEmailAddr"] = {"Address": email}
        else:
            warnings.append(f"email {email!r} is not a valid address; left out")
    phone = _text(record.get("phone"))
    if phone:
        payload["PrimaryPhone"] = {"FreeFormNumber": phone[:30]}
    billing = record.get("billing_address")
    if isinstance(billing, Mapping):
        address = _address(billing, warnings)
        if address:
            payload["BillAddr"] = address
    return payload, warnings
