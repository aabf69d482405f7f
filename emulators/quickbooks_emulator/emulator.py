"""The ``QuickBooksEmulator`` object: start/stop a server and drive it from tests.

Why: tests, the demo and the benchmark need one obvious handle — a context manager
with the URLs to configure the connector with, the company's data to assert on, and
switches to script failures.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
from collections.abc import Callable, Iterable
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Any

from emulator_support.serving import BackgroundServer

from . import balances
from .datasets import dataset_records
from .entities import SPECS, spec_for
from .faults import QboFault
from .oauth import DISCOVERY_PATH, OAuthServer
from .server import EmulatorHTTPServer, EmulatorState, dump
from .store import Company, View
from .throttle import Limits, Throttle
from .validation import WriteOptions, check_fields, validate


class QuickBooksEmulator:
    """A strict QuickBooks Online (company API + Intuit OAuth) server on loopback.

    Args:
        host: Interface to bind.
        port: Port (0 picks a free one).
        realm_id: The company's realm id.
        client_id: Accepted OAuth client id.
        client_secret: Its secret.
        initial_refresh_token: Refresh token valid at start.
        access_token_ttl: Access-token lifetime in QBO seconds (divided by time_scale).
        rotate_refresh_tokens: Each refresh returns a new refresh token and kills the old.
        per_minute: Requests per minute per realm (None: unlimited).
        per_second: Requests per second per realm (None: unlimited).
        batch_per_minute: Batch requests per minute per realm (None: unlimited).
        max_concurrent: Requests in flight per realm (None: unlimited).
        time_scale: Speed-up of every window and lifetime (10: a minute lasts 6 s).
        latency_ms: Delay added to each Company API request.
        country: Company country (non-US: tax code required on lines).
        language: Language of Fault texts (``en``/``fr``); None: French for a French
            company, English otherwise (as real companies answer).
        bare: A company as Intuit creates it: its default accounts and tax codes and a
            default discount account in Preferences, but no Shipping/Adjustment items,
            vendor or employee (the default seeds those for the demo).
        multicurrency: Turn multicurrency on (documents must match their customer's
            currency).
        state_file: Optional JSON file: loaded at start when it exists, written at stop
            (entities and refresh tokens survive restarts).
        dataset: Starting data beyond the seed (``empty`` or ``demo``, see
            ``datasets.py``); not applied over a loaded ``state_file``.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        realm_id: str = "9130350000000001",
        client_id: str = "demo-client-id",
        client_secret: str = "demo-client-secret",  # noqa: S107 - public demo fixture
        initial_refresh_token: str = "demo-refresh-token",  # noqa: S107 - public demo fixture
        access_token_ttl: float = 3600.0,
        rotate_refresh_tokens: bool = True,
        per_minute: int | None = 500,
        per_second: int | None = 10,
        batch_per_minute: int | None = 40,
        max_concurrent: int | None = 10,
        time_scale: float = 1.0,
        latency_ms: float = 0.0,
        country: str = "FR",
        language: str | None = None,
        multicurrency: bool = False,
        bare: bool = False,
        state_file: str | os.PathLike[str] | None = None,
        dataset: str = "empty",
    ) -> None:
        if time_scale <= 0:
            raise ValueError(f"time_scale must be positive, got {time_scale}")
        self.host = host
        self.port = port
        self.realm_id = realm_id
        self.time_scale = time_scale
        self.state_file = Path(state_file) if state_file else None
        company = Company(realm_id, country, language, multicurrency, bare=bare)
        oauth_server = OAuthServer(
            client_id=client_id, client_secret=client_secret, realm_id=realm_id,
            initial_refresh_token=initial_refresh_token, access_token_ttl=access_token_ttl,
            rotate_refresh_tokens=rotate_refresh_tokens, time_scale=time_scale)
        throttle = Throttle(Limits(per_minute, per_second, batch_per_minute, max_concurrent),
                            time_scale)
        self._state = EmulatorState(company, oauth_server, throttle, latency_ms)
        self._serving: BackgroundServer | None = None
        records = dataset_records(dataset)
        if self.state_file and self.state_file.exists():
            self._load_state(self.state_file)
        else:
            for entity, payload in records:
                self.add_entity(entity, payload)

    # -- lifecycle -------------------------------------------------------------------
    def start(self) -> QuickBooksEmulator:
        """Bind and serve in a background thread; returns self."""
        if self._serving is not None:
            return self
        server = EmulatorHTTPServer((self.host, self.port), self._state, self)
        self.port = server.server_address[1]
        self._state.base_url = self.url
        self._serving = BackgroundServer(server, f"quickbooks-emulator:{self.port}",
                                         poll_interval=0.05).start()
        return self

    def stop(self) -> None:
        """Stop serving (and write ``state_file`` if configured)."""
        if self._serving is None:
            return
        self._serving.stop(timeout=5)
        self._serving = None
        if self.state_file:
            self._save_state(self.state_file)

    def __enter__(self) -> QuickBooksEmulator:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    # -- URLs ------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:8765``."""
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        """Company API base (``url + "/v3"``), like ``https://quickbooks.api.intuit.com/v3``."""
        return self.url + "/v3"

    @property
    def discovery_url(self) -> str:
        """Discovery document URL, to pass as ``AuthClient(environment=...)``."""
        return self.url + DISCOVERY_PATH

    # -- inspection and controls -------------------------------------------------------
    def entities(self, entity: str, *, include_inactive: bool = True) -> list[dict[str, Any]]:
        """Return the company's records of an entity, as an API client would decode them."""
        name = spec_for(entity).name
        company = self._state.company
        with company.lock:
            records = company.all(name)
            if not include_inactive:
                records = [r for r in records if r.get("Active", True)]
            return json.loads(dump(records))

    def set_clock(self, now: Callable[[], dt.datetime]) -> None:
        """Replace the company's UTC clock: pins the default ``TxnDate`` in tests."""
        self._state.company.clock = now

    def stats(self) -> dict[str, Any]:
        """Counters: requests, by_kind, throttled (429s answered), faults_injected, ..."""
        return self._state.stats.snapshot()

    def reset_stats(self) -> None:
        """Zero the counters."""
        self._state.stats.reset()

    def inject_fault(self, kind: str, *, count: int = 1, path_contains: str = "",
                     status: int = 502) -> None:
        """Script the next ``count`` matching requests to fail.

        Kinds: ``error_before`` (answer ``status`` without performing), ``lost_response``
        (perform, then answer 502), ``throttle`` (XML 429), ``expire_access_token`` (the
        request's bearer token becomes expired, so it gets the lower-case 401).
        """
        self._state.injector.add(kind, count=count, path_contains=path_contains,
                                 status=status)

    def clear_faults(self) -> None:
        """Drop pending injected faults."""
        self._state.injector.clear()

    def revoke_refresh_tokens(self) -> None:
        """Every refresh token stops working (``invalid_grant``)."""
        self._state.oauth.revoke_refresh_tokens()

    def issued_tokens(self) -> list[str]:
        """Every access and refresh token issued so far (to prove none leaked)."""
        return self._state.oauth.issued_tokens()

    def current_refresh_token(self) -> str:
        """The newest refresh token that still works (raises LookupError if none)."""
        return self._state.oauth.current_refresh_token()

    def add_entity(self, entity: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Seed a record directly (same validation as the API; ``Id`` may be forced).

        Also accepts entities the API does not write (Vendor, Employee, Account, TaxCode).

        Raises:
            QboFault: the payload breaks a QBO rule.
            ValueError: the forced Id is already used.
        """
        spec = spec_for(entity)
        company = self._state.company
        body = json.loads(dump(payload), parse_float=Decimal)
        forced_id = str(body.pop("Id")) if body.get("Id") not in (None, "") else None
        with company.lock:
            if forced_id is not None and any(
                company.get(name, forced_id) for name in SPECS
            ):
                raise ValueError(f"Id {forced_id} is already used")
            check_fields(body, spec.fields, spec.name)
            record = validate(spec.name, body, View(company), None, WriteOptions())
            stored = company.insert(spec.name, record, forced_id)
            return json.loads(dump(copy.deepcopy(stored)))

    def seed_copies(self, entity: str, records: Iterable[dict[str, Any]]) -> int:
        """Store copies of records another run already validated, as they are (no validation).

        For benchmarks that need a company of 100,000 documents: each record (as
        :meth:`entities` returns it, e.g. from an emulator the target wrote to, then
        renumbered) gets a new Id, SyncToken "0" and fresh MetaData; the caller keeps
        it consistent as QuickBooks would. Returns how many were stored.
        """
        name = spec_for(entity).name
        company = self._state.company
        stored = 0
        with company.lock:
            for record in records:
                body = json.loads(dump(record), parse_float=Decimal)
                for key in ("Id", "SyncToken", "MetaData"):
                    body.pop(key, None)
                company.insert(name, body)
                stored += 1
        return stored

    def delete_entity(self, entity: str, object_id: str) -> None:
        """Delete a transaction as a person would in QuickBooks (tests plant differences).

        A deleted Payment gives its invoices and credit memos their balance back, as
        the API's delete does (:mod:`.balances`): a person removing a payment in
        QuickBooks reopens the invoice.
        """
        company = self._state.company
        name = spec_for(entity).name
        with company.lock:
            old = company.get(name, str(object_id))
            company.delete(name, str(object_id))
            if name == "Payment" and old is not None:
                balances.refresh(company, [(txn_type, txn_id) for txn_type, txn_id, _amount
                                           in balances.links(old)])

    def edit_entity(self, entity: str, object_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        """Overwrite fields of a record as stored (SyncToken + 1), without validation.

        For tests that plant a person's edit (say a changed amount); the caller keeps
        the record consistent (TotalAmt, Balance, lines) as QuickBooks would.
        """
        company = self._state.company
        name = spec_for(entity).name
        with company.lock:
            record = copy.deepcopy(company.get(name, str(object_id)))
            if record is None:
                raise KeyError(f"{name} Id {object_id} is not in the company")
            record.update(json.loads(dump(changes), parse_float=Decimal))
            return json.loads(dump(company.replace(name, record)))

    # -- persistence -----------------------------------------------------------------
    def _save_state(self, path: Path) -> None:
        state = {"company": self._state.company.export_records(),
                 "oauth": self._state.oauth.export_state()}
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_bytes(dump(state))
        tmp.replace(path)

    def _load_state(self, path: Path) -> None:
        state = json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
        self._state.company.import_records(state["company"])
        self._state.oauth.import_state(state["oauth"])


__all__ = ["QboFault", "QuickBooksEmulator"]
