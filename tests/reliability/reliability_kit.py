"""Tools of the reliability tests: a killing proxy, recorded tap output, target runs, checks.

The proxy sits between the target and the QuickBooks emulator's API. It forwards
everything, and at a chosen request it can SIGKILL the target *before* forwarding
(the write never happens) or *after* QuickBooks answered (the write happened, the
target never hears of it), drop the connection after the write, or answer a 429.
That makes every kill point exact and repeatable, which waiting for a timer never is.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psutil
from quickbooks_emulator import QuickBooksEmulator
from target_quickbooks.mappers.names import doc_number

PROJECT_ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
TARGET_EXE = str(BIN / "target-quickbooks")
TAP_EXE = str(BIN / "tap-myfulfillment")
REALM = "9130350000000001"
SEEDED_ITEMS = {"Shipping", "Adjustment"}
KNOWN_STREAMS = ("products", "customers", "invoices", "credit_memos")
#: Emulator settings without rate limits, for many runs back to back.
NO_LIMITS: dict[str, Any] = {"per_minute": None, "per_second": None, "batch_per_minute": None,
                             "max_concurrent": None}

XML_429 = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<IntuitResponse xmlns="http://schema.intuit.com/finance/v3"><Fault type="SERVICE">'
    '<Error code="3001"><Message>message=ThrottleExceeded; errorCode=003001; statusCode=429'
    "</Message><Detail>The request limit was reached.</Detail></Error></Fault></IntuitResponse>"
)


def target_config(emu: QuickBooksEmulator, tmp_path: Path, **overrides: Any) -> dict[str, Any]:
    """Settings of a direct target run against ``emu`` (the dev environment's values)."""
    config = {
        "client_id": "demo-client-id",
        "client_secret": "demo-client-secret",
        "refresh_token": "demo-refresh-token",
        "realm_id": REALM,
        "api_url": emu.api_url,
        "oauth_discovery_url": emu.discovery_url,
        "token_store_path": str(tmp_path / "secrets" / "tokens.json"),
        "income_account": "Sales of Product Income",
        "service_income_account": "Services",
        "expense_account": "Cost of Goods Sold",
        "asset_account": "Inventory Asset",
        "discount_account": "Discounts given",
        "tax_code_map": {"20": "3", "10": "4", "5.5": "5", "0": "6"},
        "tax_code": "6",
        "inventory_start_date": "2026-01-01",
    }
    config.update(overrides)
    return config


# --------------------------------------------------------------------------- the proxy


def is_write_batch(method: str, path: str, body: bytes) -> bool:
    """A ``/batch`` request carrying creates or updates (not only lookups)."""
    endpoint = path.split("?", maxsplit=1)[0]
    return method == "POST" and endpoint.endswith("/batch") and b'"operation"' in body


def is_query(method: str, path: str, body: bytes) -> bool:
    """A lookup (``/query``)."""
    return "/query" in path.split("?", maxsplit=1)[0]


Matcher = Callable[[str, str, bytes], bool]


@dataclass
class Rule:
    """What to do at the ``nth`` request matching ``match`` (counted from arming)."""

    action: str  # kill_before | kill_after | drop_after | throttle
    nth: int
    match: Matcher
    victim: Callable[[], int | None] | None = None
    retry_after: str = ""
    sig: int = signal.SIGKILL
    seen: int = 0
    fired: threading.Event = field(default_factory=threading.Event)


class QboProxy:
    """Loopback HTTP proxy in front of the emulator's ``/v3`` API."""

    def __init__(self, upstream_url: str) -> None:
        parts = urlsplit(upstream_url)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.rules: list[Rule] = []
        self.requests: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet."""

            def do_GET(self) -> None:
                proxy.handle(self, "GET")

            def do_POST(self) -> None:
                proxy.handle(self, "POST")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,),
                                        daemon=True)

    def __enter__(self) -> QboProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def api_url(self) -> str:
        """What the target uses as ``api_url``."""
        return f"http://127.0.0.1:{self.server.server_address[1]}/v3"

    def arm(self, action: str, nth: int, *, match: Matcher = is_write_batch,
            victim: Callable[[], int | None] | None = None, retry_after: str = "",
            sig: int = signal.SIGKILL) -> Rule:
        """Add a rule; returns it (``rule.fired`` tells whether it happened).

        ``kill_*`` rules send ``sig`` (SIGKILL by default) to ``victim()``.
        """
        rule = Rule(action, nth, match, victim, retry_after, sig)
        with self._lock:
            self.rules.append(rule)
        return rule

    def disarm(self) -> None:
        """Forget every rule."""
        with self._lock:
            self.rules.clear()

    def _decide(self, method: str, path: str, body: bytes) -> Rule | None:
        with self._lock:
            self.requests.append((method, path.split("?", maxsplit=1)[0]))
            for rule in self.rules:
                if rule.fired.is_set() or not rule.match(method, path, body):
                    continue
                rule.seen += 1
                if rule.seen == rule.nth:
                    self.rules.remove(rule)
                    return rule
        return None

    @staticmethod
    def _kill(rule: Rule) -> None:
        pid = rule.victim() if rule.victim else None
        if pid is None:
            raise AssertionError("no target process to kill")
        os.kill(pid, rule.sig)
        rule.fired.set()
        if rule.sig != signal.SIGKILL:  # let it handle the signal before anything else
            wait_exited(pid)

    def handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        rule = self._decide(method, handler.path, body)
        if rule is not None and rule.action == "kill_before":
            self._kill(rule)
            handler.close_connection = True
            return
        if rule is not None and rule.action == "throttle":
            rule.fired.set()
            self._reply(handler, 429, {"Content-Type": "application/xml",
                                       "Retry-After": rule.retry_after}, XML_429.encode())
            return
        headers = {k: v for k, v in handler.headers.items()
                   if k.lower() not in ("host", "connection", "keep-alive", "content-length")}
        connection = http.client.HTTPConnection(*self.upstream, timeout=120)
        try:
            connection.request(method, handler.path, body=body or None, headers=headers)
            response = connection.getresponse()
            data = response.read()
            answer = (response.status, {k: v for k, v in response.getheaders()
                                        if k.lower() not in ("connection", "keep-alive",
                                                             "transfer-encoding",
                                                             "content-length", "date",
                                                             "server")}, data)
        finally:
            connection.close()
        if rule is not None and rule.action == "kill_after":
            self._kill(rule)  # QuickBooks did the work; the target never hears of it
            handler.close_connection = True
            return
        if rule is not None and rule.action == "drop_after":
            rule.fired.set()  # the write happened; the connection breaks before the answer
            handler.close_connection = True
            return
        self._reply(handler, *answer)

    @staticmethod
    def _reply(handler: BaseHTTPRequestHandler, status: int, headers: Mapping[str, str],
               body: bytes) -> None:
        handler.send_response(status)
        for key, value in headers.items():
            if value:
                handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)


def wait_exited(pid: int, timeout: float = 60) -> None:
    """Wait until ``pid`` has exited, without reaping it (its parent collects the status)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return
        except psutil.NoSuchProcess:
            return
        time.sleep(0.01)
    raise AssertionError(f"process {pid} did not exit within {timeout} s")


def target_under(parent_pid: int) -> int | None:
    """Pid of the ``target-quickbooks`` process started (indirectly) by ``parent_pid``."""
    try:
        children = psutil.Process(parent_pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return None
    for child in children:
        try:
            cmdline = child.cmdline()
        except psutil.Error:
            continue
        if any(Path(part).name == "target-quickbooks" for part in cmdline[:2]):
            return child.pid
    return None


# ------------------------------------------------------------------- tap and target runs


def record_tap_messages(mf_url: str, tmp_path: Path, *, streams: Iterable[str] = KNOWN_STREAMS
                        ) -> list[dict]:
    """Run the real tap once against the myFulfillment emulator; keep ``streams``' messages."""
    config = tmp_path / "tap-config.json"
    config.write_text(json.dumps({"base_url": mf_url, "username": "demo",
                                  "password": "demo-password",
                                  "start_date": "2026-01-01T00:00:00Z"}))
    done = subprocess.run([TAP_EXE, "--config", str(config)], capture_output=True, text=True,
                          timeout=120, check=True)
    wanted = set(streams)
    messages = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    return [m for m in messages if m.get("stream") is None or m["stream"] in wanted]


@dataclass
class TargetRun:
    """What one ``target-quickbooks`` process did."""

    returncode: int
    states: list[dict]
    stderr: str

    @property
    def last_state(self) -> dict | None:
        """The last state it emitted (what Meltano would have stored)."""
        return self.states[-1] if self.states else None

    @property
    def entry(self) -> dict:
        """Our entry of the last state."""
        return (self.last_state or {}).get("bookmarks", {}).get("target-quickbooks", {})


def write_config(tmp_path: Path, config: Mapping[str, Any], name: str = "config.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(config))
    return path


def run_target(config_path: Path, messages: Iterable[Mapping[str, Any]], *,
               state: Mapping[str, Any] | None = None,
               on_start: Callable[[subprocess.Popen], None] | None = None,
               timeout: float = 120) -> TargetRun:
    """Run the target executable on messages, preceded by ``state`` as a tap re-emits it."""
    lines = [json.dumps({"type": "STATE", "value": state})] if state else []
    lines += [json.dumps(m) for m in messages]
    proc = subprocess.Popen([TARGET_EXE, "--config", str(config_path)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=config_path.parent)
    if on_start:
        on_start(proc)
    try:
        out, err = proc.communicate("\n".join(lines) + "\n", timeout=timeout)
    except BrokenPipeError:  # killed before it read everything
        out, err = proc.communicate(timeout=timeout)
    states = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    return TargetRun(proc.returncode, states, err)


# ---------------------------------------------------------------------------- checks


def item_key(sku: object) -> str:
    """The item a product record is: a deleted product (``<sku>_deleted``) is ``<sku>``'s."""
    text = str(sku)
    return text.removesuffix("_deleted") if text != "_deleted" else text


def source_records(messages: Iterable[Mapping[str, Any]], stream: str) -> list[dict]:
    """The records of one stream, last version per key (what the target must hold).

    Products are keyed by their item (:func:`item_key`), a live product winning over the
    deleted one of its SKU.
    """
    key = {"products": "sku", "customers": "customer_key"}.get(stream, "id")
    latest: dict[str, dict] = {}
    for message in messages:
        if message.get("type") == "RECORD" and message.get("stream") == stream:
            rec = message["record"]
            if stream != "products":
                latest[str(rec[key])] = rec
                continue
            held = latest.get(item_key(rec["sku"]))
            if held is None or str(rec["sku"]) == item_key(rec["sku"]) or \
                    str(held["sku"]) != item_key(held["sku"]):
                latest[item_key(rec["sku"])] = rec
    return list(latest.values())


def booked_records(messages: Iterable[Mapping[str, Any]], stream: str) -> list[dict]:
    """The documents QuickBooks must hold: canceled ones are never booked (skipped)."""
    return [r for r in source_records(messages, stream)
            if str(r.get("state") or "").strip().lower() not in ("canceled", "cancelled")]


def assert_exactly_once(qbo: QuickBooksEmulator, messages: list[dict]) -> None:
    """QuickBooks holds one entity per source record: none missing, none twice."""
    items = [i for i in qbo.entities("Item") if i["Name"] not in SEEDED_ITEMS]
    skus = sorted(item_key(p["sku"]) for p in source_records(messages, "products"))
    assert sorted(str(i.get("Sku")) for i in items) == skus, "items by Sku"
    customers = qbo.entities("Customer")
    assert len(customers) == len(source_records(messages, "customers")), "customers"
    assert len({c["DisplayName"] for c in customers}) == len(customers)
    # A credit memo of a paid invoice is booked as a RefundReceipt (target README).
    for stream, entity, wanted in (
            ("invoices", "Invoice", lambda r: True),
            ("credit_memos", "CreditMemo", lambda r: r.get("invoice_state") != "paid"),
            ("credit_memos", "RefundReceipt", lambda r: r.get("invoice_state") == "paid")):
        expected = sorted(doc_number(r["increment_id"])[0]
                          for r in booked_records(messages, stream) if wanted(r))
        assert sorted(d["DocNumber"] for d in qbo.entities(entity)) == expected, entity


def assert_state_complete(entry: Mapping[str, Any], messages: list[dict]) -> None:
    """The ID map knows every source record and nothing is pending."""
    assert entry.get("pending") == {}, entry.get("pending")
    assert set(entry["items"]) == {item_key(p["sku"])
                                   for p in source_records(messages, "products")}
    assert set(entry["customers"]) == {c["customer_key"]
                                       for c in source_records(messages, "customers")}
    for stream in ("invoices", "credit_memos"):
        assert set(entry[stream]) == {r["id"] for r in booked_records(messages, stream)}


# ------------------------------------------------------------------------- meltano runs


@dataclass
class MeltanoRun:
    """A finished ``meltano`` command."""

    returncode: int
    stdout: str
    stderr: str


def meltano_popen(project: Any, *args: str) -> subprocess.Popen:
    """Start ``meltano <args>`` for a :class:`tests.harness.MeltanoProject` (not waiting)."""
    from tests.harness import MELTANO  # noqa: PLC0415

    return subprocess.Popen([MELTANO, *args], cwd=PROJECT_ROOT, env=project.env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def meltano_run(project: Any, *args: str, proxy_rule: Rule | None = None,
                started: dict | None = None, timeout: float = 300) -> MeltanoRun:
    """Run ``meltano <args>``; ``started["pid"]`` is its pid while it runs (for kill rules)."""
    proc = meltano_popen(project, *args)
    if started is not None:
        started["pid"] = proc.pid
    out, err = proc.communicate(timeout=timeout)
    return MeltanoRun(proc.returncode, out, err)
