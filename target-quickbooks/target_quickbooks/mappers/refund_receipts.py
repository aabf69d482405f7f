"""Which QuickBooks entity books a credit memo, and the RefundReceipt payload.

A credit memo of an invoice that is ``paid`` at the source (the tap's
``invoice_state`` when it emitted the memo) gave money back: QuickBooks books that
as a **RefundReceipt** (Intuit: "If you want to refund individual items or services,
create a refund receipt"; a refund receipt records money paid back "from" an
account). It reverses income and VAT line by line like a credit memo but never
touches accounts receivable, so the customer's balance stays at what the source
says: the paid invoice is settled by its Payment and the refund leaves no credit.

Any other memo (invoice ``open``, or a record without ``invoice_state``: another
tap, an older tap-myfulfillment) stays a **CreditMemo**, which reduces what the
customer owes.

The RefundReceipt is the credit memo's payload (same lines, VAT per rate, DocNumber,
date, customer) plus ``DepositToAccountRef``, the account the money is paid from
(setting ``refund_account``). ``PaymentMethodRef`` is optional in QuickBooks and the
source carries no refund method, so none is sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: QuickBooks entity of a credit memo of a paid invoice.
REFUND_RECEIPT = "RefundReceipt"
#: The ``invoice_state`` that makes a credit memo a refund.
PAID = "paid"


def is_refund(record: Mapping[str, Any]) -> bool:
    """Whether a credit memo record returns money: its invoice was ``paid`` when emitted."""
    return str(record.get("invoice_state") or "").strip().lower() == PAID


def refund_receipt_payload(credit_memo: Mapping[str, Any],
                           refund_account: Mapping[str, str]) -> dict[str, Any]:
    """The RefundReceipt of a credit memo payload: the same, paid from ``refund_account``."""
    return {**credit_memo, "DepositToAccountRef": dict(refund_account)}
