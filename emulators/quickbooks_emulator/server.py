"""HTTP layer: routing, bearer checks, throttling, requestid replay, injected faults.

Why: everything QBO does *around* an operation (``intuit_tid`` on every response, the
lower-case 401, 403 for a foreign realm, the XML 429, idempotent replays) is transport
behaviour; the operations themselves live in :mod:`quickbooks_emulator.api`.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from emulator_support.counters import Counters

from . import faults, oauth
from .api import CompanyApi
from .cdc import change_data_capture
from .entities import BY_PATH, SPECS, spec_for
from .faults import QboFault, qbo_time
from .injection import FaultInjector, InjectedFault
from .oauth import OAuthServer
from .store import Company
from .throttle import Throttle
from .validation import WriteOptions

MIN_MINOR_VERSION = 75
MAX_REQUEST_ID = 50
MAX_BATCH_REQUEST_ID = 36
JSON_TYPE = "application/json;charset=UTF-8"
KINDS = ("create", "update", "delete", "read", "query", "cdc", "batch", "batch_operations",
         "token")


def json_default(value: object) -> object:
    """Serialise Decimals as JSON numbers (ints when integral)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"Not JSON serialisable: {type(value).__name__}")


def dump(body: object) -> bytes:
    """Encode a body as QBO does (UTF-8 JSON)."""
    return json.dumps(body, default=json_default, ensure_ascii=False).encode()


@dataclass
class Reply:
    """A finished HTTP answer."""

    status: int
    body: bytes = b""
    content_type: str = JSON_TYPE
    headers: dict[str, str] = field(default_factory=dict)


def json_reply(status: int, body: object) -> Reply:
    """A JSON answer."""
    return Reply(status, dump(body))


def fault_reply(fault: QboFault, language: str = "en") -> Reply:
    """A Fault answer, in the company's language."""
    return json_reply(fault.status, fault.body(language))


class Stats(Counters):
    """Request counters exposed by ``stats()`` (thread-safe)."""

    def __init__(self) -> None:
        super().__init__(requests=0, by_kind=KINDS, throttled=0, faults_injected=0,
                         replayed=0, by_status=(), by_method=())

    def add(self, name: str, amount: int = 1, *, key: str | None = None) -> None:
        """Increment a top-level counter or, for a kind of request, its ``by_kind`` one."""
        if key is None and name in KINDS:
            name, key = "by_kind", name
        super().add(name, amount, key=key)

    def status(self, status: int) -> None:
        """Count an answered status."""
        self.add("by_status", key=str(status))


class EmulatorState:
    """Everything one emulator process holds: company, tokens, limits, counters.

    Args:
        company: The company data.
        oauth_server: Token state.
        throttle: Rate limits.
        latency_ms: Extra delay per request (milliseconds).
    """

    def __init__(self, company: Company, oauth_server: OAuthServer, throttle: Throttle,
                 latency_ms: float = 0.0) -> None:
        self.company = company
        self.api = CompanyApi(company)
        self.oauth = oauth_server
        self.throttle = throttle
        self.latency_ms = latency_ms
        self.stats = Stats()
        self.injector = FaultInjector()
        self.base_url = ""
        self._replays: dict[tuple[str, str], Reply] = {}
        self._replay_locks: dict[tuple[str, str], threading.Lock] = {}
        self._replay_guard = threading.Lock()

    def replay_lock(self, key: tuple[str, str]) -> threading.Lock:
        """Per-requestid lock so two concurrent requests with one id run once."""
        with self._replay_guard:
            return self._replay_locks.setdefault(key, threading.Lock())

    def stored_reply(self, key: tuple[str, str]) -> Reply | None:
        """The answer stored for a requestid, if any."""
        with self._replay_guard:
            return self._replays.get(key)

    def store_reply(self, key: tuple[str, str], reply: Reply) -> None:
        """Remember the answer of a requestid."""
        with self._replay_guard:
            self._replays[key] = reply


def _injected_error(fault: InjectedFault) -> Reply:
    if fault.status == 500:
        return fault_reply(faults.system_error())
    reason = {502: "Bad Gateway", 503: "Service Temporarily Unavailable",
              504: "Gateway Time-out"}.get(fault.status, "Server Error")
    html = (f"<html>\r\n<head><title>{fault.status} {reason}</title></head>\r\n<body>"
            f"<center><h1>{fault.status} {reason}</h1></center></body>\r\n</html>\r\n")
    return Reply(fault.status, html.encode(), "text/html")


def _throttled() -> Reply:
    return Reply(429, faults.throttle_xml(), "application/xml")


class Handler(BaseHTTPRequestHandler):
    """Routes one request; the server's ``state`` attribute holds the emulator."""

    protocol_version = "HTTP/1.1"
    server: EmulatorHTTPServer

    def setup(self) -> None:
        """Disable Nagle: headers and body go out in separate writes (keep-alive latency)."""
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: URLs may carry authorisation codes."""

    # -- plumbing -------------------------------------------------------------------
    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, reply: Reply) -> None:
        self.send_response(reply.status)
        self.send_header("intuit_tid", f"1-{secrets.token_hex(4)}-{secrets.token_hex(12)}")
        if reply.body or reply.status != 302:
            self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for key, value in reply.headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(reply.body)

    def do_GET(self) -> None:
        """Handle GET."""
        self._handle("GET")

    def do_POST(self) -> None:
        """Handle POST."""
        self._handle("POST")

    def do_PUT(self) -> None:
        """Handle PUT (QBO uses POST for every write)."""
        self._handle("PUT")

    def do_DELETE(self) -> None:
        """Handle DELETE (QBO uses POST for every write)."""
        self._handle("DELETE")

    def _handle(self, method: str) -> None:
        body = self._body()
        state = self.server.state
        url = urlsplit(self.path)
        try:
            if url.path.startswith("/_emulator/"):
                reply = self._admin(method, url.path, url.query, body)
            else:
                state.stats.add("requests")
                state.stats.add("by_method", key=method)  # proves a read-only run sent no POST
                reply = self._route(method, url.path, url.query, body)
                state.stats.status(reply.status)
        except Exception as exc:  # never leave a client hanging
            reply = json_reply(500, {"Fault": {"Error": [{
                "Message": "An application error has occurred while processing your request",
                "Detail": f"System Failure Error: {type(exc).__name__}: {exc}",
                "code": "10000"}], "type": "SystemFault"}, "time": qbo_time()})
        self._send(reply)

    # -- routing ----------------------------------------------------------------------
    def _route(self, method: str, path: str, query: str, body: bytes) -> Reply:
        state = self.server.state
        authorization = self.headers.get("Authorization", "")
        if method == "GET" and path.rstrip("/") == oauth.DISCOVERY_PATH:
            return json_reply(200, oauth.discovery_document(state.base_url))
        if method == "GET" and path == oauth.AUTHORIZE_PATH:
            result = state.oauth.authorize(query)
            if result.location:
                return Reply(302, headers={"Location": result.location})
            return json_reply(result.status, result.body)
        if method == "POST" and path == oauth.TOKEN_PATH:
            state.stats.add("token")
            fault = state.injector.take(path)
            if fault is not None and fault.kind in ("error_before", "throttle"):
                state.stats.add("faults_injected")
                return _injected_error(fault) if fault.kind == "error_before" else _throttled()
            hard_expiry = (self.headers.get(oauth.HARD_EXPIRY_HEADER) or "").strip().lower()
            result = state.oauth.token(authorization, body.decode("utf-8", "replace"),
                                       include_hard_expiry=hard_expiry == "true")
            return json_reply(result.status, result.body)
        if method == "POST" and path == oauth.REVOKE_PATH:
            try:
                token = str(json.loads(body or b"{}").get("token", ""))
            except (ValueError, AttributeError):
                return json_reply(400, {"error": "invalid_request"})
            result = state.oauth.revoke(authorization, token)
            return Reply(result.status, dump(result.body) if result.body else b"")
        if method == "GET" and path == oauth.USERINFO_PATH:
            problem = state.oauth.access_token_problem(authorization)
            if problem is not None:
                return json_reply(401, faults.lowercase_auth_fault(problem))
            return json_reply(200, {"sub": state.company.realm_id, "email": "demo@example.com",
                                    "emailVerified": True, "givenName": "Demo",
                                    "familyName": "User"})
        if method == "GET" and path == oauth.JWKS_PATH:
            return json_reply(200, {"keys": []})
        if path.startswith("/v3/company/"):
            return self._company(method, path, query, body, authorization)
        return json_reply(404, {"error": "not_found", "path": path})

    def _company(self, method: str, path: str, query: str, body: bytes,
                 authorization: str) -> Reply:
        state = self.server.state
        params = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
        injected = state.injector.take(path + ("?" + query if query else ""))
        if injected is not None:
            state.stats.add("faults_injected")
            if injected.kind == "expire_access_token":
                state.oauth.expire_access_token(authorization)
        problem = state.oauth.access_token_problem(authorization)
        if problem is not None:
            return json_reply(401, faults.lowercase_auth_fault(problem))
        parts = [p for p in path.split("/") if p][2:]  # after v3/company
        realm, rest = parts[0], parts[1:]
        if realm != state.company.realm_id:
            return fault_reply(faults.realm_mismatch(realm))
        if injected is not None and injected.kind == "error_before":
            return _injected_error(injected)
        is_batch = rest == ["batch"]
        if (injected is not None and injected.kind == "throttle") or not (
            state.throttle.try_acquire(is_batch=is_batch)
        ):
            state.stats.add("throttled")
            return _throttled()
        try:
            if state.latency_ms > 0:
                time.sleep(state.latency_ms / 1000.0)
            reply = self._company_operation(method, rest, params, body)
        finally:
            state.throttle.release()
        if injected is not None and injected.kind == "lost_response":
            return _injected_error(InjectedFault("lost_response", 1, "", 502))
        return reply

    def _company_operation(self, method: str, rest: list[str], params: dict[str, str],
                           body: bytes) -> Reply:
        state = self.server.state
        request_id = params.get("requestid")
        if method != "POST" or request_id is None or rest == ["query"]:
            return self._perform(method, rest, params, body)
        limit = MAX_BATCH_REQUEST_ID if rest == ["batch"] else MAX_REQUEST_ID
        if len(request_id) > limit or not request_id:
            return fault_reply(faults.QboFault(
                "6000", faults.MSG_BUSINESS,
                f"Business Validation Error: requestid must have 1 to {limit} characters,"
                f" got {len(request_id)}", "requestid"), state.company.language)
        key = (state.company.realm_id, request_id)
        with state.replay_lock(key):
            stored = state.stored_reply(key)
            if stored is not None:
                state.stats.add("replayed")
                return stored
            reply = self._perform(method, rest, params, body)
            if reply.status < 500:
                state.store_reply(key, reply)
            return reply

    def _perform(self, method: str, rest: list[str], params: dict[str, str], body: bytes
                 ) -> Reply:
        state = self.server.state
        options = WriteOptions(
            allow_duplicate_docnum="allowduplicatedocnum" in params.get("include", "").lower())
        try:
            if rest == ["query"]:
                return self._query(method, params, body)
            if rest == ["cdc"] and method == "GET":
                state.stats.add("cdc")
                return json_reply(200, change_data_capture(state.company, params))
            if rest == ["batch"] and method == "POST":
                state.stats.add("batch")
                response, count = state.api.batch(self._json(body), options)
                state.stats.add("batch_operations", count)
                return json_reply(200, response)
            spec = BY_PATH.get(rest[0].lower()) if rest else None
            if spec is None or len(rest) > 2 or method not in ("GET", "POST"):
                raise faults.unsupported_operation(
                    f"Operation Could not find resource for relative : /{'/'.join(rest)}"
                    f" ({method}) is not supported.")
            if method == "GET":
                state.stats.add("read")
                return json_reply(200, self._read(spec.name, rest))
            if len(rest) != 1:
                raise faults.unsupported_operation(
                    f"Operation POST /{'/'.join(rest)} is not supported; POST to /{rest[0]}")
            payload = self._json(body)
            operation = params.get("operation")
            if operation not in (None, "delete", "void"):
                raise faults.invalid_value("operation", operation, "one of delete, void")
            if operation == "void":
                state.stats.add("update")
                voided = state.api.void(spec, payload)
                return json_reply(200, {spec.name: voided, "time": qbo_time()})
            if operation == "delete":
                state.stats.add("delete")
                deleted = state.api.delete(spec, payload)
                return json_reply(200, {spec.name: deleted, "time": qbo_time()})
            record, created = state.api.write(spec, payload, options)
            state.stats.add("create" if created else "update")
            return json_reply(200, {spec.name: record, "time": qbo_time()})
        except QboFault as fault:
            return fault_reply(fault, state.company.language)

    def _read(self, entity: str, rest: list[str]) -> dict[str, Any]:
        state = self.server.state
        if entity == "Preferences" and len(rest) == 1:
            return state.api.read(SPECS["Preferences"], "1")
        if entity == "CompanyInfo" and len(rest) == 2 and rest[1] == state.company.realm_id:
            return state.api.read(SPECS["CompanyInfo"], "1")
        if len(rest) != 2:
            raise faults.unsupported_operation(
                f"Operation GET /{'/'.join(rest)} is not supported; use GET /{rest[0]}/<Id>")
        return state.api.read(SPECS[entity], rest[1])

    def _query(self, method: str, params: dict[str, str], body: bytes) -> Reply:
        state = self.server.state
        state.stats.add("query")
        if method == "POST":
            content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            if content_type not in ("application/text", "text/plain"):
                raise faults.QboFault(
                    "4000", faults.MSG_QUERY_PARSE,
                    f"POST /query needs Content-Type: application/text, got {content_type!r}",
                    status=415)
            text = body.decode("utf-8", "replace")
        elif method == "GET":
            text = params.get("query", "")
        else:
            raise faults.unsupported_operation(f"Operation {method} /query is not supported")
        if not text.strip():
            raise faults.query_parse("Encountered \"<EOF>\" at line 1, column 1.")
        return json_reply(200, {"QueryResponse": state.api.query(text), "time": qbo_time()})

    @staticmethod
    def _json(body: bytes) -> Any:
        try:
            return json.loads(body.decode("utf-8"), parse_float=Decimal)
        except (ValueError, UnicodeDecodeError) as exc:
            raise faults.QboFault(
                "2010", faults.MSG_UNSUPPORTED_PROPERTY,
                f"Request body is not valid JSON: {exc}") from None

    # -- admin ------------------------------------------------------------------------
    def _admin(self, method: str, path: str, query: str, body: bytes) -> Reply:
        control: Callable[..., Any]
        emulator = self.server.controls
        parts = [p for p in path.split("/") if p][1:]
        params = {k: v[-1] for k, v in parse_qs(query).items()}
        try:
            payload = json.loads(body or b"{}", parse_float=Decimal)
            if method == "GET" and parts == ["stats"]:
                return json_reply(200, emulator.stats())
            if method == "POST" and parts == ["reset-stats"]:
                emulator.reset_stats()
                return json_reply(200, {"ok": True})
            if method == "POST" and parts == ["faults"]:
                control = emulator.inject_fault
                control(str(payload.get("kind", "")), count=int(payload.get("count", 1)),
                        path_contains=str(payload.get("path_contains", "")),
                        status=int(payload.get("status", 502)))
                return json_reply(200, {"ok": True})
            if method == "POST" and parts == ["clock"]:
                # Pins "now" (an ISO time with offset) so clients over HTTP can test the
                # company's day; {"now": null} goes back to the real clock.
                emulator.set_clock(_fixed_clock(payload.get("now")))
                return json_reply(200, {"ok": True})
            if method == "POST" and parts == ["revoke-refresh-tokens"]:
                emulator.revoke_refresh_tokens()
                return json_reply(200, {"ok": True})
            if method == "GET" and parts == ["refresh-token"]:
                return json_reply(200, {"refresh_token": emulator.current_refresh_token()})
            if len(parts) == 2 and parts[0] == "entities":
                entity = spec_for(parts[1]).name
                if method == "GET":
                    inactive = params.get("include_inactive", "true").lower() != "false"
                    return json_reply(200, emulator.entities(entity, include_inactive=inactive))
                if method == "POST":
                    return json_reply(200, emulator.add_entity(entity, payload))
        except QboFault as fault:
            return fault_reply(fault, self.server.state.company.language)
        except (KeyError, ValueError, LookupError) as exc:
            return json_reply(400, {"error": str(exc)})
        return json_reply(404, {"error": f"unknown admin endpoint {method} {path}"})


def _fixed_clock(now: Any) -> Callable[[], dt.datetime]:
    """A clock that always says ``now`` (ISO time with offset), or the real UTC clock."""
    if now is None:
        return lambda: dt.datetime.now(dt.timezone.utc)
    fixed = dt.datetime.fromisoformat(str(now))
    if fixed.tzinfo is None:
        raise ValueError("'now' needs an offset, e.g. 2026-03-31T22:30:00+00:00")
    return lambda: fixed


class EmulatorHTTPServer(ThreadingHTTPServer):
    """ThreadingHTTPServer carrying the emulator state and its Python controls."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], state: EmulatorState, controls: Any) -> None:
        super().__init__(address, Handler)
        self.state = state
        self.controls = controls
