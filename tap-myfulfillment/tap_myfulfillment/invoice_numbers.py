"""The invoice number (``increment_id``) of each credit memo's invoice, for this run.

A credit memo names its invoice only by ``invoice_id``; the target finds the
invoice in QuickBooks by its DocNumber, which is the invoice's
``increment_id``. The API has no ``GET /sales/invoices/{id}`` and its filters
take one value (equality or LIKE), so no single list call fetches the invoices
of a whole page of memos. Hence:

* the ``invoices`` stream, when it runs in the same process, remembers the
  numbers it reads (up to ``CAPACITY`` of them, the newest, which are the ones
  refunds mostly concern): no request at all;
* any other invoice is asked for once per run, ``GET /sales/invoices?filters[id]=<id>``,
  and the answer (found or not) is remembered: one request per distinct
  invoice that is not already known, never one per memo, and only for the memos
  the run emits (new or changed since the bookmark).
"""

from __future__ import annotations

import typing as t

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context

    from tap_myfulfillment.client import MyFulfillmentStream

#: The invoices listing, filtered by id for a lookup.
INVOICES_PATH = "/sales/invoices"

#: Invoice numbers remembered from the invoices stream (about 150 bytes each).
CAPACITY = 20_000


class InvoiceNumbers:
    """Invoice id to ``increment_id`` (None: the invoice was looked up and not found)."""

    def __init__(self, capacity: int = CAPACITY) -> None:
        """Start empty; ``capacity`` bounds what the invoices stream may add."""
        self.capacity = capacity
        self._numbers: dict[str, str | None] = {}

    def __contains__(self, invoice_id: object) -> bool:
        """Whether this invoice's number (or its absence) is known."""
        return invoice_id in self._numbers

    def __len__(self) -> int:
        """Number of invoices known."""
        return len(self._numbers)

    def get(self, invoice_id: str) -> str | None:
        """The number of a known invoice (None if it was not found)."""
        return self._numbers.get(invoice_id)

    def seen(self, invoice_id: object, number: object) -> None:
        """Remember an invoice read by the invoices stream, while there is room."""
        if invoice_id in (None, "") or number in (None, ""):
            return
        if len(self._numbers) < self.capacity or str(invoice_id) in self._numbers:
            self._numbers[str(invoice_id)] = str(number)

    def looked_up(self, invoice_id: str, number: object) -> None:
        """Remember the answer of a lookup (always: it cost a request)."""
        self._numbers[invoice_id] = None if number in (None, "") else str(number)


def invoice_number(
    stream: MyFulfillmentStream, memo: t.Mapping[str, t.Any], context: Context | None
) -> str | None:
    """The ``increment_id`` of a credit memo's invoice, looked up once per run if unknown.

    Args:
        stream: The credit memos stream (its tap holds the run's ``InvoiceNumbers``;
            it sends the lookup with its retries and re-login).
        memo: The credit memo.
        context: Stream context.

    Returns:
        The invoice number, or None (with a warning) when the memo names no
        invoice or myFulfillment has no invoice with that id.
    """
    numbers: InvoiceNumbers = stream._tap.invoice_numbers  # type: ignore[attr-defined]
    where = f"{stream.name} record id={memo.get('id')!r}"
    invoice_id = memo.get("invoice_id")
    if invoice_id in (None, ""):
        stream.logger.warning("%s has no invoice_id; invoice_increment_id is null", where)
        return None
    invoice_id = str(invoice_id)
    if invoice_id not in numbers:
        params = {"filters[id]": invoice_id, "limit": 1, "offset": 0}
        response = stream._send(context, params, path=INVOICES_PATH)
        rows = [row for row in stream.parse_response(response)
                if isinstance(row, dict) and str(row.get("id")) == invoice_id]
        numbers.looked_up(invoice_id, rows[0].get("increment_id") if rows else None)
    number = numbers.get(invoice_id)
    if number is None:
        stream.logger.warning(
            "%s: myFulfillment has no invoice id=%s with a number (GET %s?filters[id]=%s); "
            "invoice_increment_id is null", where, invoice_id, INVOICES_PATH, invoice_id)
    return number
