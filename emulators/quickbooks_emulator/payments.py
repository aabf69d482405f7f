"""Payment and PaymentMethod rules: turn a payload into the stored record, or the Fault.

Sources (README, "Payments"): Intuit's Payment reference (``TotalAmt`` and
``CustomerRef`` required; ``Line[].LinkedTxn`` of ``TxnType`` Invoice or CreditMemo;
``DepositToAccountRef`` an Other Current Asset or Bank account, Undeposited Funds when
absent; the part of ``TotalAmt`` not applied is ``UnappliedAmt``, a credit for the
customer), python-quickbooks' ``Payment`` docstring (the same rules: "can be created
without any Invoice or Credit Memo ... recorded as a credit"), and the reference
file's "Learned since: Payments" (a credit memo is applied by a Payment linking both,
often ``TotalAmt: 0``).

The amounts: an Invoice line takes money in, a CreditMemo line gives credit out, so
what the lines apply is ``sum(Invoice lines) - sum(CreditMemo lines)``; it must not be
negative and not exceed ``TotalAmt`` (the rest is unapplied). A line cannot apply more
than its document has open (Invoice ``Balance``, CreditMemo ``RemainingCredit``, both
counted without the Payment being updated), and every linked document must exist and
belong to the Payment's customer.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from . import faults
from .balances import LINKABLE, ZERO, open_amount
from .field_rules import account_ref, active_ref
from .readers import check_fields, to_bool, to_date, to_decimal, to_string
from .store import View

CENT = Decimal("0.01")
PAYMENT_LINE_FIELDS = frozenset({"Amount", "LinkedTxn", "LineEx"})
LINKED_TXN_FIELDS = frozenset({"TxnId", "TxnType", "TxnLineId"})
#: Account types a payment may be deposited to (Intuit: "AccountType is Other Current
#: Asset or Bank"; Undeposited Funds is an Other Current Asset).
DEPOSIT_TYPES = ("Other Current Asset", "Bank")
UNDEPOSITED_SUBTYPE = "UndepositedFunds"


def _cents(field: str, value: object) -> Decimal:
    return to_decimal(field, value).quantize(CENT, rounding=ROUND_HALF_UP)


def _customer(rec: dict[str, Any], view: View) -> str:
    if rec.get("CustomerRef") is None:
        raise faults.required("CustomerRef")
    customer_id, customer = active_ref("CustomerRef", rec["CustomerRef"], view, "Customer")
    rec["CustomerRef"] = {"value": customer_id, "name": customer["DisplayName"]}
    return customer_id


def _deposit_account(rec: dict[str, Any], view: View) -> None:
    if rec.get("DepositToAccountRef") is None:
        found = [account for account in view.all("Account")
                 if account.get("AccountSubType") == UNDEPOSITED_SUBTYPE
                 and account.get("Active", True)]
        if found:
            rec["DepositToAccountRef"] = {"value": found[0]["Id"], "name": found[0]["Name"]}
        return
    rec["DepositToAccountRef"] = account_ref(
        "DepositToAccountRef", rec["DepositToAccountRef"], view, DEPOSIT_TYPES,
        "an Undeposited Funds, Other Current Asset or Bank account")


def _payment_method(rec: dict[str, Any], view: View) -> None:
    if rec.get("PaymentMethodRef") is None:
        return
    method_id, method = active_ref("PaymentMethodRef", rec["PaymentMethodRef"], view,
                                   "PaymentMethod")
    rec["PaymentMethodRef"] = {"value": method_id, "name": method["Name"]}


def _linked(i: int, linked: object, view: View, customer_id: str
            ) -> tuple[dict[str, Any], dict[str, Any]]:
    """One LinkedTxn, checked: the stored document it names, and the link to store."""
    field = f"Line[{i}].LinkedTxn"
    if not isinstance(linked, dict):
        raise faults.invalid_value(field, linked, 'an object {"TxnId", "TxnType"} is expected')
    check_fields(linked, LINKED_TXN_FIELDS, "LinkedTxn", "Line.LinkedTxn.")
    for key in ("TxnId", "TxnType"):
        if linked.get(key) in (None, ""):
            raise faults.required(f"{field}.{key}")
    txn_type = to_string(f"{field}.TxnType", linked["TxnType"], 30)
    if txn_type not in LINKABLE:
        raise faults.invalid_value(f"{field}.TxnType", txn_type,
                                   "Invoice or CreditMemo (the emulator links no other type)")
    txn_id = to_string(f"{field}.TxnId", linked["TxnId"], 100)
    document = view.get(txn_type, txn_id)
    if document is None:
        raise faults.invalid_reference(f"{field}.TxnId", txn_type, txn_id)
    owner = str((document.get("CustomerRef") or {}).get("value"))
    if owner != customer_id:
        raise faults.business(
            f"Line {i}: {txn_type} Id={txn_id} belongs to customer Id={owner}, not to the"
            f" payment's customer Id={customer_id}; a payment applies only to its own"
            " customer's transactions", "Line.LinkedTxn")
    return document, {"TxnId": txn_id, "TxnType": txn_type}


def validate_payment(payload: dict[str, Any], view: View, existing: dict[str, Any] | None
                     ) -> dict[str, Any]:
    """Validate a Payment (create or merged update) and return the record to store."""
    rec = {key: value for key, value in payload.items()
           if key not in ("Id", "SyncToken", "MetaData", "domain", "sparse", "status",
                          "UnappliedAmt", "HomeTotalAmt")}
    customer_id = _customer(rec, view)
    if rec.get("TotalAmt") is None:
        raise faults.required("TotalAmt")
    total = _cents("TotalAmt", rec["TotalAmt"])
    if total < 0:
        raise faults.business(f"TotalAmt {total} must not be negative", "TotalAmt")
    rec["TotalAmt"] = total
    rec["TxnDate"] = to_date("TxnDate", rec["TxnDate"]) if rec.get("TxnDate") \
        else view.company.today()
    for key, limit in (("PrivateNote", 4000), ("PaymentRefNum", 21)):
        if rec.get(key) is not None:
            rec[key] = to_string(key, rec[key], limit)
    if "ProcessPayment" in rec:
        rec["ProcessPayment"] = to_bool("ProcessPayment", rec["ProcessPayment"])
    _deposit_account(rec, view)
    _payment_method(rec, view)
    rec["CurrencyRef"] = {"value": view.company.home_currency,
                          "name": view.company.home_currency_name}
    lines = rec.get("Line") or []
    if not isinstance(lines, list):
        raise faults.invalid_value("Line", lines, "an array of lines is expected")
    self_id = existing["Id"] if existing else None
    applied = ZERO
    planned: dict[tuple[str, str], Decimal] = {}
    out_lines = []
    for i, line in enumerate(lines, start=1):
        if not isinstance(line, dict):
            raise faults.invalid_value(f"Line[{i}]", line, "a line object is expected")
        check_fields(line, PAYMENT_LINE_FIELDS, "Line", "Line.")
        if line.get("Amount") is None:
            raise faults.required(f"Line[{i}].Amount")
        amount = _cents("Line.Amount", line["Amount"])
        if amount < 0:
            raise faults.business(f"Line {i}: Amount {amount} must not be negative",
                                  "Line.Amount")
        raw_links = line.get("LinkedTxn")
        if not isinstance(raw_links, list) or len(raw_links) != 1:
            raise faults.business(f"Line {i}: a payment line links exactly one transaction"
                                  " (LinkedTxn: [{TxnId, TxnType}])", "Line.LinkedTxn")
        document, link = _linked(i, raw_links[0], view, customer_id)
        txn = (link["TxnType"], link["TxnId"])
        planned[txn] = planned.get(txn, ZERO) + amount
        left = open_amount(view.company, link["TxnType"], document, without=self_id)
        if planned[txn] > left:
            what = "open balance" if link["TxnType"] == "Invoice" else "remaining credit"
            raise faults.business(
                f"Line {i}: the payment applies {planned[txn]} to {link['TxnType']}"
                f" Id={link['TxnId']}, more than its {what} {left}", "Line.Amount")
        applied += amount if link["TxnType"] == "Invoice" else -amount
        out_lines.append({"Amount": amount, "LinkedTxn": [link]})
    if applied < 0:
        raise faults.business(
            f"The credit applied ({-applied}) is more than the invoices it is applied to:"
            " the amounts of Invoice lines less CreditMemo lines must not be negative",
            "Line.Amount")
    if applied > total:
        raise faults.business(
            f"The amounts applied to invoices ({applied}) are more than the payment's"
            f" TotalAmt {total}", "TotalAmt")
    rec["Line"] = out_lines
    rec["UnappliedAmt"] = total - applied
    return rec


def validate_payment_method(payload: dict[str, Any], view: View,
                            existing: dict[str, Any] | None) -> dict[str, Any]:
    """Validate a PaymentMethod: ``Name`` required, at most 31 characters, unique."""
    rec = {key: value for key, value in payload.items()
           if key not in ("Id", "SyncToken", "MetaData", "domain", "sparse", "status")}
    name = rec.get("Name")
    if name is None or (isinstance(name, str) and not name.strip()):
        raise faults.required("Name")
    name = to_string("Name", name, 31)
    for other in view.company.all("PaymentMethod"):
        if (other["Name"].strip().casefold() == name.strip().casefold()
                and (existing is None or other["Id"] != existing["Id"])):
            fault = faults.duplicate_name(other["Id"], "payment method")
            fault.element = "Name"
            raise fault
    rec["Name"] = name
    rec["Active"] = to_bool("Active", rec.get("Active", True))
    kind = rec.get("Type", "NON_CREDIT_CARD")
    if kind not in ("CREDIT_CARD", "NON_CREDIT_CARD"):
        raise faults.invalid_value("Type", kind, "CREDIT_CARD or NON_CREDIT_CARD")
    rec["Type"] = kind
    return rec
