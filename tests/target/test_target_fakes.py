"""An in-memory fake of the ``QuickBooksClient`` interface, for target tests without HTTP.

It enforces the rules the target must cope with: unique item Names and
customer DisplayNames (6240), unique DocNumbers (6140), SyncToken checks (5010),
hidden inactive objects unless ``Active IN (true, false)``, and lets a test
inject a Fault for a given entity and key.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from collections.abc import Callable, Iterable

from quickbooks_emulator.store import SEED_ACCOUNTS
from target_quickbooks.qbo import BatchOperation, BatchResult, FaultError, QuickBooksFault
from target_quickbooks.qbo.cdc import CdcAnswer

REALM = "9130350000000001"
# The same chart of accounts as the emulator's company (one source of truth).
ACCOUNTS = SEED_ACCOUNTS
TAX_CODES = [("3", "TVA 20%"), ("4", "TVA 10%"), ("5", "TVA 5,5%"), ("6", "TVA 0%")]
CONFIG = {
    "client_id": "demo-client-id",
    "client_secret": "demo-client-secret",
    "refresh_token": "demo-refresh-token",
    "realm_id": REALM,
    "income_account": "Sales of Product Income",
    "service_income_account": "1",
    "expense_account": "80",
    "asset_account": "Inventory Asset",
    "discount_account": "86",
    "tax_code": "3",
    "tax_code_map": {"20": "3", "10": "4", "5.5": "5", "0": "6"},
    "inventory_start_date": "2026-01-01",
}


def fault(code: str, message: str, detail: str = "") -> QuickBooksFault:
    return QuickBooksFault(status=None, fault_type="ValidationFault",
                           errors=[FaultError(code=code, message=message, detail=detail)],
                           intuit_tid="tid-" + code)


class FakeQuickBooks:
    """In-memory QuickBooks company speaking the QuickBooksClient interface."""

    def __init__(self) -> None:
        self.tables: dict[str, dict[str, dict]] = {}
        self._next = 1000
        self.calls: list[tuple[str, object]] = []
        self.inject: list[Callable[[BatchOperation], QuickBooksFault | None]] = []
        #: (entity, Id) → when it last changed / was deleted (change data capture).
        self.changed_at: dict[tuple[str, str], dt.datetime] = {}
        self.deleted_at: dict[tuple[str, str], dt.datetime] = {}
        for id_, name, kind, sub in ACCOUNTS:
            self.add("Account", {"Id": id_, "Name": name, "AccountType": kind,
                                 "AccountSubType": sub})
        for id_, name in TAX_CODES:
            self.add("TaxCode", {"Id": id_, "Name": name})
        self.add("Item", {"Id": "9", "Name": "Shipping", "Type": "Service"})
        self.add("Item", {"Id": "10", "Name": "Adjustment", "Type": "Service"})

    # helpers for tests

    def add(self, entity: str, obj: dict) -> dict:
        obj = {"SyncToken": "0", "Active": True, **obj}
        if "Id" not in obj:
            self._next += 1
            obj["Id"] = str(self._next)
        self.tables.setdefault(entity, {})[obj["Id"]] = obj
        self.changed_at[(entity, obj["Id"])] = dt.datetime.now(dt.timezone.utc)
        return obj

    def delete(self, entity: str, object_id: str) -> None:
        """A person deletes a transaction in QuickBooks."""
        del self.tables[entity][object_id]
        self.deleted_at[(entity, object_id)] = dt.datetime.now(dt.timezone.utc)

    def edit(self, entity: str, object_id: str, **fields: object) -> dict:
        """A person edits an object in QuickBooks (SyncToken + 1)."""
        current = self.tables[entity][object_id]
        current.update(fields)
        current["SyncToken"] = str(int(current["SyncToken"]) + 1)
        self.changed_at[(entity, object_id)] = dt.datetime.now(dt.timezone.utc)
        return copy.deepcopy(current)

    def entities(self, entity: str) -> list[dict]:
        return list(self.tables.get(entity, {}).values())

    def writes(self) -> list[BatchOperation]:
        return [op for kind, ops in self.calls if kind == "batch" for op in ops  # type: ignore[union-attr]
                if op.operation != "query"]

    def reads(self) -> list[tuple[str, object]]:
        """Every read and query call (QuickBooks meters these on some plans)."""
        return [call for call in self.calls if call[0] in ("query", "query_in", "read", "cdc")]

    # the client interface

    @staticmethod
    def escape(value: str) -> str:
        return str(value).replace("\\", "\\\\").replace("'", "\\'")

    def _visible(self, entity: str, include_inactive: bool) -> list[dict]:
        rows = self.entities(entity)
        return rows if include_inactive else [r for r in rows if r.get("Active", True)]

    def query(self, statement: str) -> list[dict]:
        self.calls.append(("query", statement))
        statement = re.sub(r" STARTPOSITION \d+( MAXRESULTS \d+)?$", "", statement.strip())
        match = re.match(r"SELECT (?:\*|Id, SyncToken) FROM (\w+)(?: WHERE (.*))?$", statement)
        assert match, statement
        entity, where = match.group(1), match.group(2) or ""
        include_inactive = "Active IN (true, false)" in where
        rows = self._visible(entity, include_inactive)
        for cond in re.finditer(r"(\w+) (=|IN) (\((?:'(?:\\.|[^'])*'(?:, )?)+\)|'(?:\\.|[^'])*')",
                                where):
            field, _, raw = cond.groups()
            values = [v.replace("\\'", "'") for v in re.findall(r"'((?:\\.|[^'])*)'", raw)]
            rows = [r for r in rows if str(r.get(field)) in values]
        for like in re.finditer(r"(\w+) LIKE '((?:\\.|[^'])*)'", where):
            field, raw = like.groups()
            pattern = "^" + ".*".join(re.escape(part.replace("\\'", "'"))
                                      for part in raw.split("%")) + "$"
            rows = [r for r in rows if re.match(pattern, str(r.get(field, "")), re.IGNORECASE)]
        return copy.deepcopy(rows)

    def query_in(self, entity: str, field: str, values: Iterable[str], *,
                 extra_where: str = "", chunk: int = 200) -> list[dict]:
        values = list(values)
        self.calls.append(("query_in", (entity, field, tuple(values))))
        rows = self._visible(entity, "Active IN (true, false)" in extra_where)
        return copy.deepcopy([r for r in rows if str(r.get(field)) in values])

    def cdc(self, entities: Iterable[str], changed_since: dt.datetime) -> CdcAnswer:
        """Change data capture: what changed or was deleted since ``changed_since``."""
        entities = list(entities)
        self.calls.append(("cdc", (tuple(entities), changed_since)))
        changed = {e: [copy.deepcopy(self.tables[e][i]) for (e2, i), at in self.changed_at.items()
                       if e2 == e and at >= changed_since and i in self.tables.get(e, {})]
                   for e in entities}
        deleted = {e: [i for (e2, i), at in self.deleted_at.items()
                       if e2 == e and at >= changed_since] for e in entities}
        return CdcAnswer(changed={e: rows for e, rows in changed.items() if rows},
                         deleted={e: ids for e, ids in deleted.items() if ids},
                         time=dt.datetime.now(dt.timezone.utc).isoformat())

    def read(self, entity: str, entity_id: str) -> dict:
        self.calls.append(("read", (entity, entity_id)))
        obj = self.tables.get(entity, {}).get(entity_id)
        if obj is None:
            raise fault("610", "Object Not Found")
        return copy.deepcopy(obj)

    def batch(self, operations: list[BatchOperation]) -> list[BatchResult]:
        self.calls.append(("batch", list(operations)))
        return [self._one(op) for op in operations]

    def void(self, entity: str, json_body: dict, *, request_id: str):
        """``POST /invoice?operation=void``, as QuickBooks does it."""
        assert entity == "Invoice", entity
        assert request_id and len(request_id) <= 50
        self.calls.append(("void", dict(json_body or {})))
        current = self.tables.get("Invoice", {}).get(str((json_body or {}).get("Id")))
        if current is None:
            raise fault("610", "Object Not Found")
        if str(json_body.get("SyncToken")) != current["SyncToken"]:
            raise fault("5010", "Stale Object Error")
        current.update(TotalAmt=0, Balance=0,
                       PrivateNote="Voided" + (f" - {current['PrivateNote']}"
                                               if current.get("PrivateNote") else ""),
                       SyncToken=str(int(current["SyncToken"]) + 1))
        for line in current.get("Line", []):
            line["Amount"] = 0
        self.changed_at[("Invoice", current["Id"])] = dt.datetime.now(dt.timezone.utc)
        return copy.deepcopy(current)

    def _one(self, op: BatchOperation) -> BatchResult:
        if op.operation == "query":
            entity = re.match(r"SELECT \* FROM (\w+)", op.query or "").group(1)
            return BatchResult(operation=op, query_response={entity: self.query(op.query)})
        for hook in self.inject:
            injected = hook(op)
            if injected is not None:
                return BatchResult(operation=op, fault=injected)
        payload = copy.deepcopy(op.payload or {})
        table = self.tables.setdefault(op.entity, {})
        if op.operation == "update":
            current = table.get(str(payload["Id"]))
            if current is None:
                return BatchResult(operation=op, fault=fault("610", "Object Not Found"))
            if str(payload["SyncToken"]) != current["SyncToken"]:
                return BatchResult(operation=op, fault=fault("5010", "Stale Object Error"))
            problem = self._unique(op.entity, {**current, **payload}, exclude=current["Id"])
            if problem:
                return BatchResult(operation=op, fault=problem)
            payload.pop("sparse", None)
            current.update(payload)
            current["SyncToken"] = str(int(current["SyncToken"]) + 1)
            self.changed_at[(op.entity, current["Id"])] = dt.datetime.now(dt.timezone.utc)
            return BatchResult(operation=op, entity=copy.deepcopy(current))
        problem = self._unique(op.entity, payload, exclude=None)
        if problem:
            return BatchResult(operation=op, fault=problem)
        if op.entity in ("Invoice", "CreditMemo", "RefundReceipt"):
            payload.setdefault("TotalAmt", _document_total(payload))
        return BatchResult(operation=op, entity=copy.deepcopy(self.add(op.entity, payload)))

    def _unique(self, entity: str, obj: dict, exclude: str | None) -> QuickBooksFault | None:
        field = {"Item": "Name", "Customer": "DisplayName", "Invoice": "DocNumber",
                 "CreditMemo": "DocNumber", "RefundReceipt": "DocNumber"}.get(entity)
        if not field:
            return None
        for other in self.entities(entity):
            if other["Id"] != exclude and str(other.get(field, "")).casefold() == str(
                    obj.get(field, "")).casefold():
                if entity in ("Invoice", "CreditMemo", "RefundReceipt"):
                    return fault("6140", "Duplicate Document Number Error")
                return fault("6240", "Duplicate Name Exists Error",
                             f"The name supplied already exists. : Id={other['Id']}")
        return None


def _document_total(payload: dict) -> float:
    """TotalAmt as QuickBooks computes it: sales lines − discount lines + TotalTax."""
    total = 0.0
    for line in payload.get("Line", []):
        sign = -1 if line.get("DetailType") == "DiscountLineDetail" else 1
        total += sign * float(line.get("Amount") or 0)
    total += float((payload.get("TxnTaxDetail") or {}).get("TotalTax") or 0)
    return round(total, 2)


def test_fake_enforces_unique_names_and_sync_tokens():
    fake = FakeQuickBooks()
    created = fake.batch([BatchOperation("Item", "create", {"Name": "A", "Sku": "a"})])[0]
    assert created.ok
    duplicate = fake.batch([BatchOperation("Item", "create", {"Name": "a", "Sku": "b"})])[0]
    assert duplicate.fault is not None
    assert duplicate.fault.code == "6240"
    stale = fake.batch([BatchOperation("Item", "update", {"Id": created.entity["Id"],
                                                          "SyncToken": "7", "sparse": True})])
    assert stale[0].fault.code == "5010"
    assert fake.query("SELECT * FROM Account WHERE Name = 'Inventory Asset'")[0]["Id"] == "81"


# --- Singer message helpers shared by the target tests ------------------------

NUM = {"type": ["number", "null"]}
STR = {"type": ["string", "null"]}
LINE_NUMBERS = ("qty", "price", "tax_percent", "tax_amount", "discount_amount", "row_total")
DOC_NUMBERS = ("subtotal", "tax_amount", "shipping_amount", "shipping_tax_amount",
               "discount_amount", "grand_total", "adjustment_positive", "adjustment_negative")
LINE = {"type": "object",
        "properties": dict.fromkeys(LINE_NUMBERS, NUM) | {"sku": STR, "name": STR}}
DOC_SCHEMA = {"type": "object", "properties": {
    "id": {"type": "string"}, "increment_id": STR, "customer_key": STR, "currency": STR,
    "created_at": {"type": ["string", "null"], "format": "date-time"},
    "items": {"type": ["array", "null"], "items": LINE},
    "customer_firstname": STR, "customer_lastname": STR, "customer_id": STR,
    **dict.fromkeys(DOC_NUMBERS, NUM)}}
SCHEMAS = {
    "products": ({"type": "object", "properties": {
        "sku": {"type": "string"}, "name": STR, "type": STR, "id": STR, "price": NUM,
        "cost": NUM, "qty": NUM, "status": STR, "description": STR, "tax_rate": NUM}}, ["sku"]),
    "customers": ({"type": "object", "properties": {
        "customer_key": {"type": "string"}, "customer_id": STR, "email": STR,
        "firstname": STR, "lastname": STR, "company": STR, "phone": STR,
        "billing_address": {"type": ["object", "null"], "properties": {
            "street": {"type": ["array", "null"], "items": {"type": "string"}},
            "city": STR, "postcode": STR, "region": STR, "country_id": STR}}},
    }, ["customer_key"]),
    "invoices": (DOC_SCHEMA, ["id"]),
    "credit_memos": (DOC_SCHEMA, ["id"]),
}


def schema(stream: str, alias: str | None = None) -> dict:
    body, keys = SCHEMAS[stream]
    return {"type": "SCHEMA", "stream": alias or stream, "schema": body, "key_properties": keys}


def record(stream: str, rec: dict) -> dict:
    return {"type": "RECORD", "stream": stream, "record": rec}


def state_message(value: dict) -> dict:
    return {"type": "STATE", "value": value}
