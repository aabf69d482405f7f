"""Company API operations (create, sparse/full update, delete, read, query, batch).

Why separate from HTTP: a batch runs the very same operations as single requests, so
they live here as plain functions over the company, returning bodies or raising
:class:`~quickbooks_emulator.faults.QboFault`.
"""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from . import balances, faults, query
from .entities import SPECS, EntitySpec
from .faults import QboFault, qbo_time
from .store import Company, View
from .validation import WriteOptions, check_fields, to_bool, validate

MAX_BATCH_ITEMS = 30


def _required_id(payload: dict[str, Any]) -> str:
    """The ``Id`` a delete or void targets (2020 when missing)."""
    object_id = str(payload.get("Id") or "")
    if not object_id:
        raise faults.required("Id")
    return object_id


def _current(spec: EntitySpec, object_id: str, payload: dict[str, Any], view: View
             ) -> dict[str, Any]:
    """The stored record a change targets, once the payload's ``SyncToken`` matches it.

    Why: update, delete and void all refuse a missing id (610), a missing SyncToken (2020)
    and a stale one (5010) the same way, so a connector's retries see one behaviour.
    """
    existing = view.get(spec.name, object_id)
    if existing is None:
        raise faults.not_found(spec.name, object_id)
    if payload.get("SyncToken") in (None, ""):
        raise faults.required("SyncToken")
    if str(payload["SyncToken"]) != existing["SyncToken"]:
        raise faults.stale()
    return existing


class CompanyApi:
    """The operations of ``/v3/company/{realm}/...`` on one company.

    Args:
        company: The company's data.
    """

    def __init__(self, company: Company) -> None:
        self.company = company

    def write(self, spec: EntitySpec, payload: object, options: WriteOptions,
              view: View | None = None) -> tuple[dict[str, Any], bool]:
        """Create (no ``Id``) or update (``Id`` + ``SyncToken``, ``sparse`` or full).

        Returns:
            The stored record (a copy) and whether it was created.
        """
        if not isinstance(payload, dict):
            raise faults.invalid_value(spec.name, payload, "a JSON object is expected")
        if not spec.writable:
            raise faults.unsupported_operation(
                f"Operation Create/Update is not supported for {spec.name} by this emulator"
                " (read-only reference data)")
        check_fields(payload, spec.fields, spec.name)
        view = view or View(self.company)
        with self.company.lock:
            if payload.get("Id") not in (None, ""):
                object_id = str(payload["Id"])
                existing = _current(spec, object_id, payload, view)
                if to_bool("sparse", payload.get("sparse", False)):
                    merged = copy.deepcopy(existing)
                    merged.update(copy.deepcopy(payload))
                else:
                    merged = payload
                record = validate(spec.name, merged, view, existing, options)
                record["Id"] = object_id
                stored = self.company.replace(spec.name, record)
                self._linked_changed(spec.name, existing, stored)
                return copy.deepcopy(stored), False
            record = validate(spec.name, payload, view, None, options)
            stored = self.company.insert(spec.name, record)
            self._linked_changed(spec.name, None, stored)
            return copy.deepcopy(stored), True

    def _linked_changed(self, entity: str, old: dict[str, Any] | None,
                        new: dict[str, Any] | None) -> None:
        """After a Payment is stored or deleted, recompute the documents it links (or did)."""
        if entity != "Payment":
            return
        touched = [(txn_type, txn_id) for record in (old, new) if record is not None
                   for txn_type, txn_id, _amount in balances.links(record)]
        balances.refresh(self.company, touched)

    def delete(self, spec: EntitySpec, payload: object, view: View | None = None
               ) -> dict[str, Any]:
        """Delete a transaction (``Id`` + current ``SyncToken``)."""
        if not spec.deletable:
            raise faults.unsupported_operation(
                f"Operation Delete is not supported for {spec.name}; make it inactive"
                " (Active: false) instead")
        if not isinstance(payload, dict):
            raise faults.invalid_value(spec.name, payload, "a JSON object is expected")
        view = view or View(self.company)
        with self.company.lock:
            object_id = _required_id(payload)
            existing = _current(spec, object_id, payload, view)
            self.company.delete(spec.name, object_id)
            self._linked_changed(spec.name, existing, None)
            return {"domain": "QBO", "status": "Deleted", "Id": object_id}

    def void(self, spec: EntitySpec, payload: object, view: View | None = None
             ) -> dict[str, Any]:
        """Void an Invoice (``Id`` + current ``SyncToken``): amounts 0, kept for the audit trail.

        QuickBooks keeps a voided invoice with its lines, dates and customer, sets every
        amount to 0, notes "Voided" in ``PrivateNote`` and bumps the SyncToken. Other
        entities are refused (the emulator voids invoices only; credit memos have no void).
        """
        if spec.name != "Invoice":
            raise faults.unsupported_operation(
                f"Operation void is not supported for {spec.name} by this emulator")
        if not isinstance(payload, dict):
            raise faults.invalid_value(spec.name, payload, "a JSON object is expected")
        view = view or View(self.company)
        with self.company.lock:
            object_id = _required_id(payload)
            existing = _current(spec, object_id, payload, view)
            record = copy.deepcopy(existing)
            zero = Decimal(0)
            for line in record.get("Line") or []:
                if isinstance(line, dict) and "Amount" in line:
                    line["Amount"] = zero
            for field in ("TotalAmt", "HomeTotalAmt", "Balance", "HomeBalance"):
                if field in record:
                    record[field] = zero
            if isinstance(record.get("TxnTaxDetail"), dict):
                record["TxnTaxDetail"]["TotalTax"] = zero
            note = str(record.get("PrivateNote") or "")
            record["PrivateNote"] = f"Voided - {note}" if note else "Voided"
            return copy.deepcopy(self.company.replace(spec.name, record))

    def read(self, spec: EntitySpec, object_id: str) -> dict[str, Any]:
        """Return ``{Entity: record, "time": ...}`` or raise 610."""
        with self.company.lock:
            record = self.company.get(spec.name, object_id)
            if record is None:
                raise faults.not_found(spec.name, object_id)
            return {spec.name: copy.deepcopy(record), "time": qbo_time()}

    def query(self, text: str, view: View | None = None) -> dict[str, Any]:
        """Run a query; return the ``QueryResponse`` object."""
        parsed = query.parse(text)
        with self.company.lock:
            return copy.deepcopy(query.execute(parsed, view or View(self.company)))

    def batch(self, payload: object, options: WriteOptions) -> tuple[dict[str, Any], int]:
        """Run a batch in order; per-item failures become ``Fault`` items in a 200.

        Returns:
            The response body and the number of operations it held.
        """
        items = payload.get("BatchItemRequest") if isinstance(payload, dict) else None
        if isinstance(payload, dict):
            check_fields(payload, {"BatchItemRequest"}, "IntuitBatchRequest")
        if not isinstance(items, list) or not items:
            raise faults.required("BatchItemRequest")
        if len(items) > MAX_BATCH_ITEMS:
            raise faults.business(
                f"Batch has {len(items)} items; at most {MAX_BATCH_ITEMS} are allowed per"
                " batch request: split it", "BatchItemRequest")
        hidden: set[str] = set()
        view = View(self.company, hidden)
        responses: list[dict[str, Any]] = []
        with self.company.lock:
            for item in items:
                bid = item.get("bId") if isinstance(item, dict) else None
                try:
                    responses.append({"bId": bid, **self._batch_item(item, view, options)})
                except QboFault as fault:
                    responses.append({"bId": bid,
                                      "Fault": fault.fault(self.company.language)})
        return {"BatchItemResponse": responses, "time": qbo_time()}, len(items)

    def _batch_item(self, item: object, view: View, options: WriteOptions) -> dict[str, Any]:
        if not isinstance(item, dict):
            raise faults.invalid_value("BatchItemRequest", item, "an object is expected")
        if "bId" not in item:
            raise faults.required("BatchItemRequest.bId")
        if "Query" in item:
            check_fields(item, {"bId", "Query", "optionsData"}, "BatchItemRequest")
            return {"QueryResponse": self.query(str(item["Query"]), view)}
        entity_keys = [k for k in item if k in SPECS]
        unknown = [k for k in item if k not in SPECS and k not in ("bId", "operation",
                                                                    "optionsData")]
        if unknown:
            raise faults.unsupported_property(unknown[0], "BatchItemRequest")
        if len(entity_keys) != 1:
            raise faults.required("BatchItemRequest entity (e.g. Item, Customer, Invoice)")
        spec = SPECS[entity_keys[0]]
        operation = item.get("operation")
        if operation is None:
            raise faults.required("BatchItemRequest.operation")
        if operation in ("create", "update"):
            body = item[spec.name]
            if operation == "create" and isinstance(body, dict) and body.get("Id"):
                raise faults.business("operation create must not carry an Id", "Id")
            if operation == "update" and isinstance(body, dict) and not body.get("Id"):
                raise faults.required("Id")
            record, created = self.write(spec, body, options, view)
            if created:
                view.hidden.add(record["Id"])
            return {spec.name: record}
        if operation == "delete":
            return {spec.name: self.delete(spec, item[spec.name], view)}
        raise faults.invalid_value("BatchItemRequest.operation", operation,
                                   "one of create, update, delete")
