"""What both sides are reduced to before they are compared: one :class:`Doc` per document.

The source side and the QuickBooks side build the same shape, so the comparison
never knows where a value came from; amounts are ``Decimal`` rounded to the cent.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from decimal import Decimal

#: QuickBooks entities that hold the source's invoices.
INVOICE_ENTITIES: tuple[str, ...] = ("Invoice",)
#: QuickBooks entities that hold the source's credit memos: a credit memo of a paid invoice
#: is written as a RefundReceipt (writer/receipts.py), any other as a CreditMemo.
CREDIT_MEMO_ENTITIES: tuple[str, ...] = ("CreditMemo", "RefundReceipt")
#: Document kinds, as the source's streams name them.
INVOICE = "invoices"
CREDIT_MEMO = "credit_memos"
KINDS = (INVOICE, CREDIT_MEMO)
ENTITIES = {INVOICE: INVOICE_ENTITIES, CREDIT_MEMO: CREDIT_MEMO_ENTITIES}
#: VAT key used when QuickBooks states no VAT per rate (companies without tax rates).
ALL_RATES = "*"


@dataclass(frozen=True, slots=True)
class Vat:
    """Taxable amount and VAT of one rate."""

    net: Decimal
    tax: Decimal


@dataclass(slots=True)
class Doc:
    """One invoice or credit memo as a side of the comparison sees it.

    Slotted: a reconcile holds one per document on each side (200,000 at 100,000).

    Attributes:
        kind: ``invoices`` or ``credit_memos``.
        number: the DocNumber (the source's ``increment_id``, cut as the target cuts it).
        customer: the customer's discriminator (``#42`` or a guest's email): the
            part of its DisplayName that carries identity.
        customer_label: what to show for the customer (a DisplayName when known).
        date: ``YYYY-MM-DD`` in the company's calendar.
        total: ``TotalAmt`` / ``grand_total``.
        vat: rate (``"20"``, ``"5.5"``) → :class:`Vat`.
        balance: what is still open on it.
        entity: the QuickBooks entity (``Invoice``...), or ``""`` on the source side.
        qbo_id: the QuickBooks Id, or ``""``.
        canceled: canceled at the source: expected absent or voided in QuickBooks.
        source_id: the source record's id, or ``""``.
    """

    kind: str
    number: str
    customer: str
    customer_label: str
    date: str
    total: Decimal
    vat: dict[str, Vat] = field(default_factory=dict)
    balance: Decimal = Decimal(0)
    entity: str = ""
    qbo_id: str = ""
    canceled: bool = False
    source_id: str = ""

    def __post_init__(self) -> None:
        """Share the strings many documents repeat (customer, day, entity, rates).

        100,000 documents hold a few thousand distinct ones, not 100,000 copies.
        """
        self.customer = sys.intern(self.customer)
        self.customer_label = sys.intern(self.customer_label)
        self.date = sys.intern(self.date)
        self.entity = sys.intern(self.entity)
        if self.vat:
            self.vat = {sys.intern(rate): vat for rate, vat in self.vat.items()}

    @property
    def sign(self) -> int:
        """+1 for an invoice, -1 for a credit memo (it lowers sales, VAT and balance)."""
        return 1 if self.kind == INVOICE else -1


@dataclass(frozen=True)
class Difference:
    """One thing that differs: what, on which document or line, and both values."""

    #: missing, extra, duplicate, unreadable, total, vat, customer, date, balance, month,
    #: customer_balance; ``other`` for information.
    kind: str
    subject: str  # e.g. "invoice 200000001", "2026-03 VAT 20", "customer #101"
    source: str
    quickbooks: str
    detail: str = ""


@dataclass(frozen=True)
class MonthRow:
    """Net and VAT of one month and rate, on both sides (credit memos negative)."""

    month: str
    rate: str
    source_net: Decimal
    source_tax: Decimal
    qbo_net: Decimal
    qbo_tax: Decimal

    @property
    def differs(self) -> bool:
        """Whether the two sides disagree on net or VAT."""
        return self.source_net != self.qbo_net or self.source_tax != self.qbo_tax


@dataclass(frozen=True)
class CustomerRow:
    """Open balance of one customer on both sides."""

    customer: str
    label: str
    source: Decimal
    quickbooks: Decimal

    @property
    def differs(self) -> bool:
        """Whether the balances disagree."""
        return self.source != self.quickbooks


@dataclass
class Report:
    """Everything ``reconcile`` found; :attr:`differences` empty means the books match."""

    documents_source: int = 0
    documents_quickbooks: int = 0
    differences: list[Difference] = field(default_factory=list)
    information: list[Difference] = field(default_factory=list)
    months: list[MonthRow] = field(default_factory=list)
    customers: list[CustomerRow] = field(default_factory=list)
    requests: int = 0

    @property
    def matches(self) -> bool:
        """True when nothing differs."""
        return not self.differences

    def counts(self) -> dict[str, int]:
        """Differences per kind, in first-seen order."""
        counts: dict[str, int] = {}
        for difference in self.differences:
            counts[difference.kind] = counts.get(difference.kind, 0) + 1
        return counts
