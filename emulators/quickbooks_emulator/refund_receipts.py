"""RefundReceipt: a sales document whose money goes back to the customer from an account.

Why a module of its own: a RefundReceipt is judged like an Invoice or CreditMemo
(lines, VAT from each line's TaxCodeRef unless ``TxnTaxDetail.TaxLine`` overrides it,
DocNumber unique per entity), plus the rules of the money returned. Sources, quoted in
the README ("RefundReceipt"):

- ``DepositToAccountRef`` is required: the account the refund is paid from, of
  ``AccountType`` ``Bank`` or ``Other Current Asset`` (Intuit's RefundReceipt entity
  reference; Undeposited Funds is an Other Current Asset account). Missing: 2020;
  another type: 6000 naming the account and the types allowed.
- ``CustomerRef`` is optional (python-quickbooks' integration test
  tests/integration/test_refundreceipt.py creates one without a customer against a
  real sandbox); when sent it must be an active customer, as on other sales documents.
- The refund is paid when it is saved: ``Balance`` is 0 and there is no credit left
  (no ``RemainingCredit``), so it never touches the customer's open balance (guess,
  as QuickBooks' SalesReceipt; Intuit's help: a refund receipt records money paid
  back, unlike a credit memo, which leaves a credit to apply).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from . import faults

#: Account types a refund may be paid from (Intuit's RefundReceipt reference).
REFUND_ACCOUNT_TYPES = ("Bank", "Other Current Asset")
#: How a 6000 for another account type names what is expected.
EXPECTED = "a Bank or Other Current Asset account (the account the refund is paid from)"


def deposit_account_sent(payload: dict[str, Any]) -> object:
    """The ``DepositToAccountRef`` sent (2020 when missing); its type is checked by the caller.

    The caller (``sales_rules.validate_sales_txn``) resolves it as an account of
    :data:`REFUND_ACCOUNT_TYPES`, with :data:`EXPECTED` in the 6000 message.
    """
    if payload.get("DepositToAccountRef") in (None, "", {}):
        fault = faults.required("DepositToAccountRef")
        fault.detail += (" (a RefundReceipt needs the account the refund is paid from: an"
                         " account of type Bank or Other Current Asset)")
        raise fault
    return payload["DepositToAccountRef"]


def settle(rec: dict[str, Any]) -> dict[str, Any]:
    """A RefundReceipt is paid as it is saved: no balance, no credit left."""
    rec["Balance"] = Decimal(0)
    rec.pop("RemainingCredit", None)
    return rec
