"""``reconcile`` of 100,000 documents: its QuickBooks requests, time and peak memory.

Reads are metered by Intuit, so issue 13 asks that reconciling 100,000 documents
cost on the order of a hundred QuickBooks requests. Writing 100,000 documents
through QuickBooks' limits would take some 80 emulated minutes, so the company is
seeded in-process instead, from documents the real target wrote:

1. the demo shop's invoices and credit memos, recorded with the real tap, are
   written by the real target into an unthrottled emulator: the templates, each a
   source record and the QuickBooks document the target made of it (validated
   and totalled by the emulator);
2. ``documents`` source records are made from them (new ids and nine-digit numbers,
   each credit memo tied to its invoice's copy), and the QuickBooks documents that
   stand for them are copied into a throttled emulator with
   :meth:`~quickbooks_emulator.QuickBooksEmulator.seed_copies`. Balances are set as
   payments and refunds leave them (the rule of docs/reconcile.md), so a correct
   comparison finds zero differences: the run checks the comparison at that size too;
3. the real ``target-quickbooks-reconcile`` reads those records on stdin
   (``reconcile_format: json``) and reads QuickBooks through its limits, at the
   profile's compressed time and latency.

    .venv/bin/python -m bench.run --only reconcile_reads
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from myfulfillment_emulator import MyFulfillmentEmulator
from quickbooks_emulator import QuickBooksEmulator
from target_quickbooks.mappers.names import doc_number

from bench.hourly_reads import metered_reads
from bench.procs import VENV_BIN, run_child, write_json
from bench.scenarios import Profile, qbo_emulator, run_tap, run_target, target_config

KINDS = {"invoices": "Invoice", "credit_memos": "CreditMemo"}
#: Source invoice states that leave nothing to pay (docs/reconcile.md).
SETTLED = {"paid", "canceled", "cancelled"}
#: First number of each kind's series (nine digits, like the shop's).
FIRST_NUMBER = {"invoices": 400_000_000, "credit_memos": 500_000_000}
ZERO = Decimal(0)


@dataclass
class Template:
    """One source record and the QuickBooks document the target made of it (None: not booked)."""

    kind: str
    record: dict[str, Any]
    document: dict[str, Any] | None


def record_templates(profile: Profile, workdir: Path) -> tuple[list[dict], list[Template]]:
    """The demo shop through the real tap and target: SCHEMA messages and document templates.

    A source document the target did not book is kept only when it is canceled
    (QuickBooks must not hold it); a memo whose invoice is not a template is dropped.
    """
    with MyFulfillmentEmulator(dataset="demo") as mf:
        _, tap_output = run_tap(mf, workdir, "reconcile-templates-tap")
    with qbo_emulator(profile, limits=False) as qbo:
        config = target_config(qbo, workdir, profile, rate_limit_time_scale=1000)
        run, _ = run_target(config, tap_output, workdir, "reconcile-templates")
        if run.returncode != 0:
            raise RuntimeError(f"template target run exited {run.returncode}:\n"
                               f"{run.stderr[-4000:]}")
        booked = {kind: {doc["DocNumber"]: doc for doc in qbo.entities(entity)}
                  for kind, entity in KINDS.items()}
    schemas: list[dict] = []
    templates: list[Template] = []
    invoice_ids: set[str] = set()
    for line in tap_output.read_text(encoding="utf-8").splitlines():
        message = json.loads(line)
        kind = message.get("stream")
        if kind not in KINDS:
            continue
        if message["type"] == "SCHEMA":
            schemas.append(message)
        elif message["type"] == "RECORD":
            record = message["record"]
            document = booked[kind].get(doc_number(record["increment_id"])[0])
            canceled = str(record.get("state") or "").lower() in ("canceled", "cancelled")
            if (document is None and not canceled) or (
                    kind == "credit_memos" and str(record.get("invoice_id")) not in invoice_ids):
                continue
            if kind == "invoices":
                invoice_ids.add(str(record["id"]))
            templates.append(Template(kind, record, document))
    return schemas, templates


def _money(value: object) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def copies(templates: list[Template], documents: int) -> Iterator[list[Template]]:
    """``documents`` renumbered copies of the templates, one list per pass over them.

    Each copy has a new id and number; a credit memo points at its invoice's copy
    of the same pass, and its QuickBooks document carries the new number.
    """
    made = dict.fromkeys(KINDS, 0)
    total = 0
    while total < documents:
        ids: dict[str, str] = {}
        batch: list[Template] = []
        for template in templates:
            if total >= documents:
                break
            kind = template.kind
            sequence = made[kind]
            made[kind] += 1
            total += 1
            number = str(FIRST_NUMBER[kind] + sequence)
            record = dict(template.record, increment_id=number,
                          id=str(FIRST_NUMBER[kind] + sequence))
            if kind == "invoices":
                ids[str(template.record["id"])] = record["id"]
            else:
                record["invoice_id"] = ids.get(str(template.record.get("invoice_id")), "")
            document = None
            if template.document is not None:
                old = str(template.document.get("DocNumber"))
                document = dict(template.document, DocNumber=number)
                note = document.get("PrivateNote")
                if isinstance(note, str):
                    document["PrivateNote"] = note.replace(old, number)
            batch.append(Template(kind, record, document))
        set_balances(batch)
        yield batch


def set_balances(batch: list[Template]) -> None:
    """QuickBooks balances as payments and refunds leave them (docs/reconcile.md).

    An invoice paid or canceled owes nothing, else its total less its credit memos;
    a credit memo of an invoice the source has is applied or refunded (0).
    """
    invoices = {t.record["id"]: t for t in batch if t.kind == "invoices"}
    credited: dict[str, Decimal] = {}
    for memo in batch:
        if memo.kind == "credit_memos" and memo.document is not None:
            invoice = str(memo.record.get("invoice_id"))
            credited[invoice] = credited.get(invoice, ZERO) + _money(memo.document["TotalAmt"])
            memo.document["Balance"] = 0 if invoice in invoices else memo.document["TotalAmt"]
    for invoice_id, invoice in invoices.items():
        if invoice.document is None:
            continue
        state = str(invoice.record.get("state") or "").lower()
        open_amount = _money(invoice.document["TotalAmt"]) - credited.get(invoice_id, ZERO)
        invoice.document["Balance"] = float(ZERO if state in SETTLED else max(ZERO, open_amount))


def seed(qbo: QuickBooksEmulator, schemas: list[dict], templates: list[Template],
         documents: int, singer_input: Path) -> dict[str, int]:
    """Write the source records (Singer) and seed their QuickBooks documents; return counts."""
    counts = {"source": 0, "quickbooks": 0}
    with open(singer_input, "w", encoding="utf-8") as out:
        out.writelines(json.dumps(schema) + "\n" for schema in schemas)
        for batch in copies(templates, documents):
            for template in batch:
                out.write(json.dumps({"type": "RECORD", "stream": template.kind,
                                      "record": template.record}) + "\n")
            counts["source"] += len(batch)
            for kind, entity in KINDS.items():
                counts["quickbooks"] += qbo.seed_copies(
                    entity, [t.document for t in batch if t.kind == kind and t.document])
    return counts


def reconcile_reads(profile: Profile, workdir: Path) -> dict[str, Any]:
    """Seed ``profile.reconcile_documents`` documents, run the reconcile, measure it."""
    schemas, templates = record_templates(profile, workdir)
    documents = profile.reconcile_documents
    with qbo_emulator(profile) as qbo:
        singer_input = workdir / "reconcile.singer"
        counts = seed(qbo, schemas, templates, documents, singer_input)
        report_path = workdir / "reconcile-report.json"
        config = write_json(workdir / "reconcile.target.json", target_config(
            qbo, workdir, profile, reconcile_format="json",
            reconcile_report_path=str(report_path)))
        qbo.reset_stats()
        run = run_child([str(VENV_BIN / "target-quickbooks-reconcile"), "--config", str(config)],
                        stdin=singer_input, stdout=workdir / "reconcile.out", cwd=workdir)
        stats = qbo.stats()
    if not report_path.exists():
        raise RuntimeError(f"reconcile exited {run.returncode} without a report:\n"
                           f"{run.stderr[-4000:]}")
    report = json.loads(report_path.read_text(encoding="utf-8"))
    return {
        "documents": documents,
        "templates": len(templates),
        "source_documents": counts["source"],
        "quickbooks_documents": counts["quickbooks"],
        "returncode": run.returncode,
        "seconds": round(run.seconds, 1),
        "peak_rss_mb": round(run.peak_rss_mb, 1),
        "qbo_http_requests": stats["requests"],
        "metered_reads": metered_reads(stats),
        "by_method": stats["by_method"],
        # The OAuth token refresh is the only POST a read-only run may send.
        "company_posts": stats["by_method"].get("POST", 0) - stats["by_kind"].get("token", 0),
        "by_kind": {kind: count for kind, count in stats["by_kind"].items() if count},
        "report_requests": report["requests"],
        "report_documents": [report["documents_source"], report["documents_quickbooks"]],
        "differences": len(report["differences"]),
        "counts": report["counts"],
        "summary": report["summary"],
    }
