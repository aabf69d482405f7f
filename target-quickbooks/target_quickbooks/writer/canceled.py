"""Documents canceled at the source: skipped, voided, or handed to a person."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

from target_quickbooks.mappers import MappingError
from target_quickbooks.mappers.documents import INVOICE
from target_quickbooks.mappers.money import ZERO, cents, to_decimal
from target_quickbooks.mappers.names import doc_number
from target_quickbooks.qbo import QuickBooksFault, canonical_json, request_id
from target_quickbooks.resolver import entry_of
from target_quickbooks.state import ENTITY_OF_KIND
from target_quickbooks.writer.hints import CREDIT_MEMO_CANCELED_HINT
from target_quickbooks.writer.jobs import KIND
from target_quickbooks.writer.runner import JobRunner

CANCELED_STATES = frozenset({"canceled", "cancelled"})

def is_canceled(record: Mapping[str, Any]) -> bool:
    """Whether a document was canceled at the source (``state`` ``canceled``)."""
    return str(record.get("state") or "").strip().lower() in CANCELED_STATES


def _zero_total(row: Mapping[str, Any]) -> bool:
    if row.get("TotalAmt") in (None, ""):
        return False
    try:
        return cents(to_decimal(row["TotalAmt"], "TotalAmt")) == ZERO
    except MappingError:
        return False


def is_voided(entity: str, row: Mapping[str, Any]) -> bool:
    """Whether QuickBooks' document is voided (Invoice) or zeroed (CreditMemo, RefundReceipt)."""
    if entity == "Invoice":
        return _zero_total(row) and str(row.get("PrivateNote") or "").startswith("Voided")
    return _zero_total(row)


def void_document(client: Any, entity: str, payload: Mapping[str, Any], *,
                  request_id: str) -> dict[str, Any]:
    """Void a document: ``POST /{entity}?operation=void`` with ``{Id, SyncToken}``.

    QuickBooks voids through the entity endpoint, not ``/batch``'s create/update.
    """
    return dict(client.void(entity, dict(payload), request_id=request_id))



class CanceledDocuments(JobRunner):
    """Skips, voids or flags the documents canceled at the source."""

    # Canceled documents

    def _write_canceled(self, stream: str, canceled: Mapping[str, Mapping[str, Any]]) -> None:
        """Documents canceled at the source: skip them, or void the ones already written.

        Not in QuickBooks (map or DocNumber): nothing to book, ``skipped``. An invoice
        already written is voided (``operation=void``: amounts 0, kept for the audit
        trail). QuickBooks has no void for credit memos: one already written is kept
        in pending as ``needs_attention`` for a person, and cleared once it is deleted
        or zeroed in QuickBooks. So is a RefundReceipt (a credit memo of a paid invoice):
        the emulator, like the sources it follows, offers no void for it.
        """
        kind = KIND[stream]
        numbers: dict[str, dict[str, str]] = {}  # entity → source key → DocNumber
        for key, record in canceled.items():
            with contextlib.suppress(MappingError):
                numbers.setdefault(self._document_entity(stream, key, record), {})[key] = (
                    doc_number(record.get("increment_id"))[0])
        for entity, wanted in sorted(numbers.items()):
            for key, row in self.resolver.lookup(kind, "DocNumber", wanted, entity).items():
                try:
                    conflict = self._document_conflict(stream, canceled[key], row, entity=entity)
                except MappingError as error:
                    conflict = str(error)
                same_date = (str(row.get("TxnDate") or "")
                             == self._txn_date_or_none(canceled[key]))
                if not conflict or (is_voided(entity, row) and same_date):
                    self.resolver.adopt(kind, key, row, entity)
        todo: dict[str, tuple[str, str]] = {}  # source key → (entity, Id)
        for key in canceled:
            entry = self.state.get(kind, key)
            if entry is None:
                self._skip(stream, key, "canceled at the source and not in QuickBooks: "
                                        "nothing to book")
            elif stream == INVOICE and key in self.state.voided:
                self._outcome(stream, key, "unchanged")
            else:
                todo[key] = (entry.entity or ENTITY_OF_KIND[kind], entry.id)
        if not todo:
            return
        by_id: dict[tuple[str, str], dict[str, Any]] = {}
        for entity in sorted({entity for entity, _id in todo.values()}):
            ids = sorted({qbo_id for name, qbo_id in todo.values() if name == entity})
            by_id.update({(entity, str(row.get("Id"))): row
                          for row in self.client.query_in(entity, "Id", ids)})
        for key, (entity, qbo_id) in todo.items():
            record, current = canceled[key], by_id.get((entity, qbo_id))
            if current is None:
                self.state.forget(kind, key)
                self._skip(stream, key, f"canceled at the source; {entity} Id {qbo_id} is no "
                                        "longer in QuickBooks")
            elif is_voided(entity, current):
                if stream == INVOICE:
                    self.state.voided.add(key)
                self._outcome(stream, key, "unchanged")
            elif stream == INVOICE:
                self._void_invoice(key, record, current)
            else:
                self._needs_attention(stream, key, record, (
                    f"canceled at the source, but {entity} Id {qbo_id} (DocNumber "
                    f"{current.get('DocNumber')!r}) is in QuickBooks, which cannot void a "
                    f"{'credit memo' if entity == 'CreditMemo' else entity} through its API"))



    def _void_invoice(self, key: str, record: Mapping[str, Any], row: Mapping[str, Any]) -> None:
        payload = {"Id": str(row["Id"]), "SyncToken": str(row.get("SyncToken", "0"))}
        if self.dry_run:
            self.dry_run_listing.add("Invoice", key, str(row.get("DocNumber") or ""), "void")
            self._outcome(INVOICE, key, "updated")
            return
        rid = request_id(self.state.realm_id, "Invoice", f"void:{key}", canonical_json(payload))
        try:
            voided = void_document(self.client, "Invoice", payload, request_id=rid)
        except QuickBooksFault as fault:
            self._reject(INVOICE, key, record,
                         f"the invoice was canceled at the source, but QuickBooks refused to "
                         f"void Invoice Id {payload['Id']}: {fault.describe()}", fault=fault)
            return
        self.state.voided.add(key)
        if voided.get("Id"):
            self.state.put("invoices", key, entry_of(voided))
        self._outcome(INVOICE, key, "updated")
        self.logger.info("Voided QuickBooks Invoice Id %s: invoice %r was canceled at the "
                         "source.", payload["Id"], key)

    def _needs_attention(self, stream: str, key: str, record: Mapping[str, Any],
                         reason: str) -> None:
        self._count(stream, key, "skipped")
        self.state.add_pending(stream, key, record, status="needs_attention", reason=reason,
                               field="state", hint=CREDIT_MEMO_CANCELED_HINT)
        self._settled(stream, key)
        self.logger.warning("Credit memo %r needs attention: %s. Fix: %s.", key, reason,
                            CREDIT_MEMO_CANCELED_HINT)
