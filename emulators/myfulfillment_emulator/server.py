"""The HTTP side: routing, bearer auth, paging parameters, rate limit, faults, admin controls.

Requests under ``/api`` behave like myFulfillment (Laravel): JSON bodies, ``{"data",
"meta": {"total": "<string>"}}`` envelopes, Laravel-shaped errors, HTTP 400 ``Too Many
Attempts.`` when over the rate limit. Requests under ``/_emulator`` are the test controls
(no auth, not counted, not rate limited).
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from emulator_support.serving import BackgroundServer

from myfulfillment_emulator.controls import (
    Clock,
    FaultQueue,
    PageFaultQueue,
    RateLimiter,
    Stats,
    TokenBook,
)
from myfulfillment_emulator.dataset import Dataset, Record, load
from myfulfillment_emulator.pdf import document_pdf
from myfulfillment_emulator.store import QueryError, Store

API_PREFIX = "/api"
ADMIN_PREFIX = "/_emulator"
DEFAULT_LIMIT = 20
MAX_LIMIT = 500
TOO_MANY_ATTEMPTS = "Too Many Attempts."

LIST_ROUTES = {
    "/catalog-product/products": "products",
    "/sales/orders": "orders",
    "/sales/invoices": "invoices",
    "/sales/creditmemos": "credit_memos",
}
_LIST_PATHS = {collection: path for path, collection in LIST_ROUTES.items()}
ADMIN_COLLECTIONS = {"products": "products", "orders": "orders", "invoices": "invoices",
                     "creditmemos": "credit_memos"}
_ORDER_BY_REFERENCE = re.compile(r"^/sales/orders/reference/([^/]+)$")
_PRINT = re.compile(r"^/sales/(invoice|creditmemo)/([^/]+)/print$")
_FILTER_OR_SORT = re.compile(r"^(filters|sorts)\[([^\[\]]+)\]$")
_GATEWAY_PAGE = ("<html><head><title>{0} {1}</title></head><body><center><h1>{0} {1}</h1>"
                 "</center><hr><center>nginx</center></body></html>")


class ApiError(Exception):
    """An error answered as Laravel-shaped JSON."""

    def __init__(self, status: int, message: str,
                 errors: dict[str, list[str]] | None = None) -> None:
        """Status, ``message`` and optional per-field ``errors``."""
        super().__init__(message)
        self.status = status
        self.payload: dict[str, Any] = {"message": message}
        if errors:
            self.payload["errors"] = errors


def validation_error(field: str, message: str) -> ApiError:
    """HTTP 422 ``{"message": ..., "errors": {field: [message]}}`` as Laravel's validator."""
    return ApiError(422, message, {field: [message]})


def _integer(params: dict[str, str], name: str, default: int, minimum: int,
             maximum: int | None = None) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise validation_error(name, f"The {name} field must be an integer.") from None
    if value < minimum:
        raise validation_error(name, f"The {name} field must be at least {minimum}.")
    if maximum is not None and value > maximum:
        raise validation_error(name, f"The {name} field must not be greater than {maximum}.")
    return value


def list_parameters(query: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]], int, int]:
    """Read ``filters[..]``, ``sorts[..]``, ``limit`` and ``offset`` (last value wins, as PHP)."""
    params: dict[str, str] = {}
    filters: dict[str, str] = {}
    sorts: dict[str, str] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        match = _FILTER_OR_SORT.match(name)
        if match is None:
            params[name] = value
        elif match.group(1) == "filters":
            filters[match.group(2)] = value
        else:
            sorts[match.group(2)] = value.lower()
    limit = _integer(params, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    offset = _integer(params, "offset", 0, 0)
    return list(filters.items()), list(sorts.items()), offset, limit


class MyFulfillmentEmulator:
    """A myFulfillment API on loopback, for tests, the demo and the benchmark.

    Example::

        with MyFulfillmentEmulator() as emulator:
            requests.post(f"{emulator.url}/auth/token", json={...})
    """

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0,
                 dataset: str | Dataset = "demo", username: str = "demo",
                 password: str = "demo-password",  # noqa: S107 - the documented demo fixture
                 token_ttl_seconds: float = 3600.0,
                 rate_limit_per_minute: int | None = None, latency_ms: float = 0.0,
                 time_scale: float = 1.0, verbose: bool = False) -> None:
        """Configure the emulator; nothing listens until ``start()``."""
        self.host = host
        self.port = port
        self.username = username
        self._password = password
        self.latency_ms = latency_ms
        self.verbose = verbose
        self.store = Store(load(dataset) if isinstance(dataset, str) else dataset)
        self.clock = Clock(time_scale)
        self.tokens = TokenBook(self.clock, token_ttl_seconds)
        self.rate_limiter = RateLimiter(self.clock, rate_limit_per_minute)
        self.faults = FaultQueue()
        self.page_faults = PageFaultQueue()
        self._stats = Stats()
        self._serving: BackgroundServer | None = None

    @property
    def url(self) -> str:
        """Base URL of the API, e.g. ``http://127.0.0.1:8764/api``."""
        return f"http://{self.host}:{self.port}{API_PREFIX}"

    @property
    def admin_url(self) -> str:
        """Base URL of the test controls, e.g. ``http://127.0.0.1:8764/_emulator``."""
        return f"http://{self.host}:{self.port}{ADMIN_PREFIX}"

    def start(self) -> MyFulfillmentEmulator:
        """Bind the socket and serve from a background thread."""
        if self._serving is not None:
            raise RuntimeError("emulator already started")
        server = ThreadingHTTPServer((self.host, self.port), _Handler)
        server.daemon_threads = True
        server.emulator = self  # type: ignore[attr-defined]
        self.port = server.server_address[1]
        self._serving = BackgroundServer(server, f"myfulfillment-emulator-{self.port}",
                                         poll_interval=0.1).start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._serving is None:
            return
        self._serving.stop()
        self._serving = None

    def __enter__(self) -> MyFulfillmentEmulator:
        """Start on entering a ``with`` block."""
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        """Stop on leaving the block."""
        self.stop()

    def stats(self) -> dict[str, Any]:
        """``{"requests", "by_path", "logins", "rate_limited", "faults"}`` since the last reset."""
        return self._stats.snapshot()

    def reset_stats(self) -> None:
        """Zero the counters (e.g. between the phases of a benchmark)."""
        self._stats.reset()

    def expire_tokens(self) -> None:
        """Invalidate every token, so the next call gets 401 and the client must log in."""
        self.tokens.expire_all()

    def inject_fault(self, status: int, *, path_prefix: str = "", count: int = 1,
                     body: str | None = None) -> None:
        """Answer the next ``count`` API requests under ``path_prefix`` with ``status``.

        Default bodies mimic production: 400 ``Too Many Attempts.``, 500 ``An error
        occurred``, 502/503/504 an nginx page, others Laravel JSON.
        """
        self.faults.add(status, path_prefix, count, body)

    def inject_page_fault(self, kind: str, *, path_prefix: str = "", count: int = 1,
                          skip: int = 0, total: int | None = None) -> None:
        """Spoil the next ``count`` list pages under ``path_prefix``, after ``skip`` good ones.

        ``kind``: ``"empty"`` (no records, true total), ``"short"`` (the last record
        dropped) or ``"total"`` (``meta.total`` answered as ``total``).
        """
        self.page_faults.add(kind, path_prefix, count, skip, total)

    def check_credentials(self, username: object, password: object) -> bool:
        """True when the login matches the configured account."""
        return username == self.username and password == self._password


def fault_response(status: int, body: str | None) -> tuple[str, bytes]:
    """Content type and body for an injected fault."""
    if body is not None:
        try:
            json.loads(body)
        except ValueError:
            return "text/plain; charset=utf-8", body.encode()
        return "application/json", body.encode()
    if status == 400:
        return "text/plain; charset=utf-8", TOO_MANY_ATTEMPTS.encode()
    if status == 500:
        return "text/plain; charset=utf-8", b"An error occurred"
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    if status in (502, 503, 504):
        return "text/html", _GATEWAY_PAGE.format(status, phrase).encode()
    message = {401: "Unauthenticated.", 429: TOO_MANY_ATTEMPTS}.get(status, phrase)
    return "application/json", json.dumps({"message": message}).encode()


class _Handler(BaseHTTPRequestHandler):
    """One request; the emulator is reached through ``self.server.emulator``."""

    protocol_version = "HTTP/1.1"  # keep-alive: clients reuse connections, like in production
    server_version = "nginx"
    sys_version = ""
    timeout = 120

    @property
    def emulator(self) -> MyFulfillmentEmulator:
        return self.server.emulator  # type: ignore[attr-defined,no-any-return]

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def log_message(self, format: str, *args: Any) -> None:
        if self.emulator.verbose:
            sys.stderr.write(f"myfulfillment-emulator: {format % args}\n")

    # -- plumbing ------------------------------------------------------------------------
    def _dispatch(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self._body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        path = unquote(parts.path)
        try:
            if path == API_PREFIX or path.startswith(API_PREFIX + "/"):
                self._api(method, path[len(API_PREFIX):], parts.query)
            elif path.startswith(ADMIN_PREFIX + "/"):
                self._admin(method, path[len(ADMIN_PREFIX):])
            else:
                message = f"The route {path.lstrip('/')} could not be found."
                self._send_json(404, {"message": message})
        except ApiError as error:
            self._send_json(error.status, error.payload)
        except Exception as error:  # a bug in the emulator must still answer like the API
            sys.stderr.write(f"myfulfillment-emulator: internal error: {error!r}\n")
            self._send(500, "text/plain; charset=utf-8", b"An error occurred")

    def _send(self, status: int, content_type: str, body: bytes,
              headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _send_json(self, status: int, payload: object) -> None:
        self._send(status, "application/json", json.dumps(payload).encode())

    def _json_body(self) -> dict[str, Any]:
        if not self._body:
            return {}
        try:
            payload = json.loads(self._body)
        except ValueError:
            raise ApiError(400, "The request body is not valid JSON.") from None
        if not isinstance(payload, dict):
            raise ApiError(400, "The request body must be a JSON object.")
        return payload

    # -- the API -------------------------------------------------------------------------
    def _api(self, method: str, path: str, query: str) -> None:
        emulator = self.emulator
        emulator._stats.request(path)
        if emulator.latency_ms:
            time.sleep(emulator.latency_ms / 1000)
        fault = emulator.faults.take(path)
        if fault is not None:
            emulator._stats.fault()
            self._send(fault.status, *fault_response(fault.status, fault.body))
            return
        if not emulator.rate_limiter.allow():
            emulator._stats.rate_limited()
            self._send(400, "text/plain; charset=utf-8", TOO_MANY_ATTEMPTS.encode())
            return
        if path == "/auth/token":
            self._require_method(method, "POST", path)
            self._login()
            return
        route = self._route(path)
        if route is None:
            raise ApiError(404, f"The route api{path} could not be found.")
        self._require_method(method, "GET", path)
        if not self._authenticated():
            raise ApiError(401, "Unauthenticated.")
        route(query)

    def _require_method(self, method: str, allowed: str, path: str) -> None:
        if method != allowed:
            raise ApiError(405, f"The {method} method is not supported for route api{path}. "
                                f"Supported methods: {allowed}.")

    def _authenticated(self) -> bool:
        scheme, _, token = (self.headers.get("Authorization") or "").partition(" ")
        return scheme.lower() == "bearer" and self.emulator.tokens.is_valid(token.strip())

    def _login(self) -> None:
        body = self._json_body()
        missing = [name for name in ("username", "password") if not body.get(name)]
        if missing:
            errors = {name: [f"The {name} field is required."] for name in missing}
            raise ApiError(422, errors[missing[0]][0], errors)
        if not self.emulator.check_credentials(body["username"], body["password"]):
            raise ApiError(401, "Invalid credentials.")
        self.emulator._stats.login()
        self._send_json(200, {"token": self.emulator.tokens.issue()})

    def _route(self, path: str) -> Callable[[str], None] | None:
        collection = LIST_ROUTES.get(path)
        if collection is not None:
            return lambda query: self._list(collection, query)
        reference = _ORDER_BY_REFERENCE.match(path)
        if reference is not None:
            number = reference.group(1)
            return lambda _query: self._order_by_reference(number)
        printable = _PRINT.match(path)
        if printable is not None:
            kind, document_id = printable.groups()
            return lambda _query: self._print(kind, document_id)
        return None

    def _list(self, collection: str, query: str) -> None:
        filters, sorts, offset, limit = list_parameters(query)
        try:
            records, total = self.emulator.store.query(collection, filters, sorts, offset, limit)
        except QueryError as error:
            raise validation_error(error.parameter, str(error)) from None
        fault = self.emulator.page_faults.take(_LIST_PATHS[collection])
        if fault is not None:
            self.emulator._stats.fault()
            records, total = fault.spoil(records, total)
        self._send_json(200, {"data": records, "meta": {"total": str(total)}})

    def _order_by_reference(self, reference: str) -> None:
        order = self.emulator.store.find("orders", reference)
        if order is None:
            raise ApiError(404, f"Order {reference} not found.")
        self._send_json(200, {"data": order})

    def _print(self, kind: str, document_id: str) -> None:
        collection = "invoices" if kind == "invoice" else "credit_memos"
        document = self.emulator.store.find(collection, document_id)
        if document is None:
            raise ApiError(404, f"No query results for model [{kind}] {document_id}")
        title = ("Facture " if kind == "invoice" else "Avoir ") + document["increment_id"]
        lines = [f"Commande {document['order_increment_id']} du {document['created_at']}",
                 *(f"{item['qty']} x {item['sku']} {item['name']} = {item['row_total']}"
                   for item in document["items"]),
                 f"Total TTC {document['grand_total']} {document['currency']}"]
        headers = {"Content-Disposition": f'inline; filename="{kind}-{document_id}.pdf"'}
        self._send(200, "application/pdf", document_pdf(title, lines), headers)

    # -- test controls -------------------------------------------------------------------
    def _admin(self, method: str, path: str) -> None:
        emulator = self.emulator
        if path == "/stats" and method == "GET":
            self._send_json(200, emulator.stats())
            return
        if method != "POST":
            raise ApiError(405, f"The {method} method is not supported for {ADMIN_PREFIX}{path}.")
        if path == "/reset-stats":
            emulator.reset_stats()
        elif path == "/expire-tokens":
            emulator.expire_tokens()
        elif path == "/faults":
            self._admin_fault(self._json_body())
        elif path == "/page-faults":
            self._admin_page_fault(self._json_body())
        else:
            self._admin_change(path)
            return
        self._send_json(200, {"ok": True})

    def _admin_fault(self, body: dict[str, Any]) -> None:
        try:
            self.emulator.inject_fault(int(body["status"]),
                                       path_prefix=str(body.get("path_prefix", "")),
                                       count=int(body.get("count", 1)), body=body.get("body"))
        except (KeyError, TypeError, ValueError) as error:
            example = '{"status": 503, "path_prefix": "/sales", "count": 1}'
            raise validation_error("status", f"Invalid fault {body!r}: {error}. "
                                   f"Send e.g. {example}.") from None

    def _admin_page_fault(self, body: dict[str, Any]) -> None:
        try:
            total = body.get("total")
            self.emulator.inject_page_fault(str(body["kind"]),
                                            path_prefix=str(body.get("path_prefix", "")),
                                            count=int(body.get("count", 1)),
                                            skip=int(body.get("skip", 0)),
                                            total=None if total is None else int(total))
        except (KeyError, TypeError, ValueError) as error:
            example = '{"kind": "empty", "path_prefix": "/sales/invoices", "skip": 1}'
            raise validation_error("kind", f"Invalid page fault {body!r}: {error}. "
                                   f"Send e.g. {example}.") from None

    def _admin_change(self, path: str) -> None:
        """``POST /_emulator/<collection>`` adds, ``POST /_emulator/<collection>/<key>`` touches."""
        name, _, key = path.strip("/").partition("/")
        collection = ADMIN_COLLECTIONS.get(name)
        if collection is None:
            raise ApiError(404, f"Unknown control {ADMIN_PREFIX}{path}.")
        changes = self._json_body()
        store = self.emulator.store
        try:
            record: Record = (store.touch(collection, key, **changes) if key
                              else store.add(collection, **changes))
        except KeyError as error:
            raise ApiError(404, str(error.args[0])) from None
        except (TypeError, ValueError) as error:
            raise validation_error(name, str(error)) from None
        self._send_json(200 if key else 201, {"data": record})
