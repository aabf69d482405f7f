"""The number (``increment_id``) and state of each credit memo's invoice, for this run.

A credit memo names its invoice only by ``invoice_id``; the target finds the
invoice in QuickBooks by its DocNumber, which is the invoice's
``increment_id``, and books the memo by the invoice's ``state``: a memo of a
``paid`` invoice returns money (a QuickBooks RefundReceipt), a memo of an
``open`` one reduces what is owed (a CreditMemo). The state comes with the
number, from the same row: no request of its own.

The API has no ``GET /sales/invoices/{id}`` and its filters take one value
(equality or LIKE), so no single list call fetches the invoices of a whole page
of memos. Hence:

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


def _text(value: object) -> str | None:
    return None if value in (None, "") else str(value)


def _state(value: object) -> str | None:
    """An invoice ``state`` as the target compares it: trimmed, lower case, None if empty."""
    text = str(value or "").strip().lower()
    return text or None


class InvoiceNumbers:
    """Invoice id to (``increment_id``, ``state``); (None, None): looked up and not found."""

    def __init__(self, capacity: int = CAPACITY) -> None:
        """Start empty; ``capacity`` bounds what the invoices stream may add."""
        self.capacity = capacity
        self._numbers: dict[str, tuple[str | None, str | None]] = {}

    def __contains__(self, invoice_id: object) -> bool:
        """Whether this invoice's number (or its absence) is known."""
        return invoice_id in self._numbers

    def __len__(self) -> int:
        """Number of invoices known."""
        return len(self._numbers)

    def get(self, invoice_id: str) -> str | None:
        """The number of a known invoice (None if it was not found)."""
        return self._numbers.get(invoice_id, (None, None))[0]

    def state(self, invoice_id: str) -> str | None:
        """The state (``open``, ``paid``, ``canceled``) of a known invoice, else None."""
        return self._numbers.get(invoice_id, (None, None))[1]

    def seen(self, invoice_id: object, number: object, state: object = None) -> None:
        """Remember an invoice read by the invoices stream, while there is room.

        The invoices stream reads the newest version of each invoice, so a state
        seen here replaces an older one (an invoice paid since it was remembered).
        """
        if invoice_id in (None, "") or number in (None, ""):
            return
        if len(self._numbers) < self.capacity or str(invoice_id) in self._numbers:
            self._numbers[str(invoice_id)] = (str(number), _state(state))

    def looked_up(self, invoice_id: str, number: object, state: object = None) -> None:
        """Remember the answer of a lookup (always: it cost a request)."""
        self._numbers[invoice_id] = (_text(number), _state(state) if _text(number) else None)


def invoice_facts(
    stream: MyFulfillmentStream, memo: t.Mapping[str, t.Any], context: Context | None
) -> tuple[str | None, str | None]:
    """The ``increment_id`` and ``state`` of a credit memo's invoice, looked up once per run.

    Args:
        stream: The credit memos stream (its tap holds the run's ``InvoiceNumbers``;
            it sends the lookup with its retries and re-login).
        memo: The credit memo.
        context: Stream context.

    Returns:
        The invoice number and state (``open``, ``paid``, ``canceled``, lower case),
        or (None, None) with a warning when the memo names no invoice or
        myFulfillment has no invoice with that id. The state is None when the
        invoice row has none.
    """
    numbers: InvoiceNumbers = stream._tap.invoice_numbers  # type: ignore[attr-defined]
    where = f"{stream.name} record id={memo.get('id')!r}"
    invoice_id = memo.get("invoice_id")
    if invoice_id in (None, ""):
        stream.logger.warning("%s has no invoice_id; invoice_increment_id and invoice_state "
                              "are null", where)
        return None, None
    invoice_id = str(invoice_id)
    if invoice_id not in numbers:
        params = {"filters[id]": invoice_id, "limit": 1, "offset": 0}
        response = stream._send(context, params, path=INVOICES_PATH)
        rows = [row for row in stream.parse_response(response)
                if isinstance(row, dict) and str(row.get("id")) == invoice_id]
        numbers.looked_up(invoice_id, rows[0].get("increment_id") if rows else None,
                          rows[0].get("state") if rows else None)
    number = numbers.get(invoice_id)
    if number is None:
        stream.logger.warning(
            "%s: myFulfillment has no invoice id=%s with a number (GET %s?filters[id]=%s); "
            "invoice_increment_id and invoice_state are null", where, invoice_id, INVOICES_PATH,
            invoice_id)
    return number, numbers.state(invoice_id)
