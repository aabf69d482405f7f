"""What Payments do to the documents they link: Balance, RemainingCredit, LinkedTxn.

Why a module of its own: a Payment changes other objects. An Invoice's ``Balance`` is
its ``TotalAmt`` minus what Payments apply to it; a CreditMemo's ``Balance`` and
``RemainingCredit`` are its ``TotalAmt`` minus what Payments apply of it (Intuit's
Invoice and CreditMemo references: "Balance: the balance reflecting any payments
made or credits applied against the transaction"); each linked document lists the
Payments in its ``LinkedTxn`` (``{"TxnId", "TxnType": "Payment"}``). A Customer's
``Balance`` is its open invoices minus its unapplied credit (credit memos' remaining
credit and payments' ``UnappliedAmt``).

Applications are counted from the stored Payments each time (one scan of the
company's Payments per write): simple, and Payments are few next to documents. The
customer's Balance moves by deltas on every store (:func:`customer_deltas`), without
a new SyncToken: it is a computed figure (a guess, README).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .store import Company

ZERO = Decimal(0)
#: Entities a Payment line may link, and what it does to them.
LINKABLE = ("Invoice", "CreditMemo")


def links(payment: dict[str, Any]) -> list[tuple[str, str, Decimal]]:
    """(TxnType, TxnId, Amount) of every linked transaction of a stored Payment."""
    found = []
    for line in payment.get("Line") or []:
        for linked in line.get("LinkedTxn") or []:
            found.append((str(linked["TxnType"]), str(linked["TxnId"]),
                          Decimal(str(line["Amount"]))))
    return found


def applied(company: Company, entity: str, txn_id: str,
            without: str | None = None) -> tuple[Decimal, list[str]]:
    """What the company's Payments apply to (or of) one document, and their Ids.

    ``without`` leaves out one Payment (the one being updated or deleted).
    """
    total = ZERO
    payments: list[str] = []
    for payment in company.all("Payment"):
        if payment["Id"] == without:
            continue
        for txn_type, linked_id, amount in links(payment):
            if txn_type == entity and linked_id == txn_id:
                total += amount
                if payment["Id"] not in payments:
                    payments.append(payment["Id"])
    return total, payments


def open_amount(company: Company, entity: str, record: dict[str, Any],
                without: str | None = None) -> Decimal:
    """The document's TotalAmt less what other Payments apply (Balance before this one)."""
    used, _ = applied(company, entity, record["Id"], without)
    return Decimal(str(record.get("TotalAmt") or 0)) - used


def settle_document(company: Company, entity: str, record: dict[str, Any]) -> None:
    """Set a document's Balance (RemainingCredit) and Payment LinkedTxn from the Payments.

    Called on a document about to be stored (create or update): an update keeps what
    Payments applied instead of resetting Balance to TotalAmt.
    """
    if entity not in LINKABLE or not record.get("Id"):
        return
    used, payments = applied(company, entity, record["Id"])
    balance = Decimal(str(record.get("TotalAmt") or 0)) - used
    record["Balance"] = balance
    record["HomeBalance"] = balance
    if entity == "CreditMemo":
        record["RemainingCredit"] = balance
    others = [txn for txn in record.get("LinkedTxn") or []
              if isinstance(txn, dict) and txn.get("TxnType") != "Payment"]
    record["LinkedTxn"] = others + [{"TxnId": pid, "TxnType": "Payment"} for pid in payments]


def refresh(company: Company, touched: Iterable[tuple[str, str]]) -> None:
    """Recompute the documents a Payment links (or linked), then their customers' Balance.

    A document whose Balance or links change is stored as a change (SyncToken + 1,
    LastUpdatedTime now), as QuickBooks records the payment against it (a guess, README).
    """
    for entity, txn_id in set(touched):
        record = company.get(entity, txn_id)
        if record is None:
            continue
        updated = copy.deepcopy(record)
        settle_document(company, entity, updated)
        if (updated.get("Balance") != record.get("Balance")
                or updated.get("LinkedTxn") != record.get("LinkedTxn")):
            company.replace(entity, updated)


def _owed(entity: str, record: dict[str, Any] | None) -> tuple[str, Decimal]:
    """(customer Id, what the record adds to the customer's Balance)."""
    if record is None or entity not in ("Invoice", "CreditMemo", "Payment"):
        return "", ZERO
    customer = str((record.get("CustomerRef") or {}).get("value") or "")
    if entity == "Payment":
        return customer, -Decimal(str(record.get("UnappliedAmt") or 0))
    sign = 1 if entity == "Invoice" else -1
    return customer, sign * Decimal(str(record.get("Balance") or 0))


def customer_deltas(entity: str, old: dict[str, Any] | None, new: dict[str, Any] | None
                    ) -> dict[str, Decimal]:
    """How storing ``new`` in place of ``old`` (None: absent) moves customers' Balance.

    Open invoices add their Balance; credit memos' remaining credit and payments'
    ``UnappliedAmt`` subtract. Applied by :class:`~quickbooks_emulator.store.Company`
    on every store and delete, so Customer ``Balance`` is always current at O(1) a write.
    """
    deltas: dict[str, Decimal] = {}
    for record, sign in ((old, -1), (new, 1)):
        customer, amount = _owed(entity, record)
        if customer and amount:
            deltas[customer] = deltas.get(customer, ZERO) + sign * amount
    return {customer: delta for customer, delta in deltas.items() if delta}
