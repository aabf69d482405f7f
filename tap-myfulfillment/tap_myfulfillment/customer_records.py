"""The customer side of orders and documents: ``customer_key`` and derived customers.

The API has no customers endpoint; customers come from sales orders. Every
order, invoice and credit memo carries the same ``customer_key`` so the target
can match a document to its customer.
"""

from __future__ import annotations

import typing as t

from tap_myfulfillment.marks import Problem
from tap_myfulfillment.normalize import RecordFormatError

_GUEST_IDS = frozenset({"", "0"})

#: Prefix of the placeholder ``customer_key`` of a document whose customer cannot be
#: identified (see ``unidentified_key``).
UNIDENTIFIED = "unidentified:"

#: Order fields that a customer record repeats, and their name there: an order's
#: problem with one of them is also the derived customer's.
_CUSTOMER_FIELD_OF = {
    "customer_id": "customer_id",
    "customer_email": "email",
    "customer_firstname": "firstname",
    "customer_lastname": "lastname",
    "billing_address": "billing_address",
    "currency": "currency",
}


def customer_key(record: t.Mapping[str, t.Any], *, where: str) -> str:
    """Compute the key shared by ``customers``, ``orders``, ``invoices`` and ``credit_memos``.

    Registered customers are keyed by their ``customer_id``; guests (no id, or
    ``0``) by ``guest:`` + their lower-cased email, so one guest buying twice is
    one customer.

    Args:
        record: An order, invoice or credit memo.
        where: Record label for the error message.

    Returns:
        The customer key.

    Raises:
        RecordFormatError: neither a customer id nor an email is present.
    """
    customer_id = record.get("customer_id")
    if customer_id is not None and str(customer_id).strip() not in _GUEST_IDS:
        return str(customer_id).strip()
    email = record.get("customer_email")
    if isinstance(email, str) and email.strip():
        return "guest:" + email.strip().lower()
    reason = (
        "neither `customer_id` nor `customer_email` is set, so the customer "
        "cannot be identified; add the customer's email to the document in myFulfillment"
    )
    raise RecordFormatError(f"{where}: {reason}", reason=reason)


def unidentified_key(record: t.Mapping[str, t.Any], *, stream: str) -> str:
    """The placeholder ``customer_key`` of a document whose customer has no id nor email.

    It is stable (the same order gives the same key on every run) and shared by
    an order, its invoices, its credit memos and the customer record derived
    from it, so the target reports them together. Such records always carry a
    ``normalization_errors`` entry for ``customer_email``.

    Args:
        record: An order, invoice or credit memo.
        stream: Its stream, for documents without an order id.

    Returns:
        ``unidentified:order:<order id>``, else ``unidentified:<stream>:<id>``.
    """
    order_id = record.get("id") if stream in ("orders", "customers") else record.get("order_id")
    if order_id not in (None, ""):
        return f"{UNIDENTIFIED}order:{order_id}"
    return f"{UNIDENTIFIED}{stream}:{record.get('id')}"


def customer_from_order(order: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """Build a ``customers`` record from a normalised order carrying ``customer_key``.

    Names fall back to the billing address when the order has no customer names;
    the phone is the billing telephone.

    Args:
        order: A normalised sales order with ``customer_key``.

    Returns:
        The customer record (fields of the record contract).
    """
    billing = order.get("billing_address") or {}
    key = order["customer_key"]
    email = order.get("customer_email")
    return {
        "customer_key": key,
        "customer_id": None if key.startswith(("guest:", UNIDENTIFIED)) else key,
        "email": email.strip() if isinstance(email, str) and email.strip() else None,
        "firstname": order.get("customer_firstname") or billing.get("firstname"),
        "lastname": order.get("customer_lastname") or billing.get("lastname"),
        "company": billing.get("company") or None,
        "phone": billing.get("telephone") or None,
        "billing_address": dict(billing) if billing else None,
        "currency": order.get("currency"),
        "updated_at": order.get("updated_at"),
        # Which order: once a person fixes an unidentified order (adds the email), the
        # target drops the pending placeholder customer of that order (its key below).
        "order_id": None if order.get("id") in (None, "") else str(order["id"]),
    }


def customer_problems(order_problems: t.Iterable[Problem]) -> list[Problem]:
    """The problems of an order that concern the customer derived from it.

    Args:
        order_problems: The order's ``normalization_errors``.

    Returns:
        Those about customer fields, with the field renamed as in the customer record
        (``customer_email`` becomes ``email``, ``billing_address.city`` stays).
    """
    found = []
    for problem in order_problems:
        head, dot, rest = problem.field.partition(".")
        name = _CUSTOMER_FIELD_OF.get(head)
        if name is not None:
            found.append(Problem(name + dot + rest, problem.reason, problem.value))
    return found
