"""Durable, process-safe storage of the rotating QuickBooks refresh token.

QuickBooks rotates refresh tokens: after a refresh the previous one dies.
Meltano regenerates a plugin's config on every run, so a token written back to
config is lost; the token therefore lives in its own file, written atomically
(a crash never leaves half a token) and guarded by an exclusive ``flock`` so two
processes refreshing at once cannot both spend the same token.

One file serves every company (realm) that shares the ``token_store_path``:
``{"realms": {"<realm_id>": {...tokens...}}}``. A write replaces only its own
realm's entry, so a run for company B never drops company A's rotated token,
its only working copy. The older single-realm layout (the tokens at the top
level) is still read, and is converted on the next write.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from target_quickbooks.qbo.errors import QuickBooksError
from target_quickbooks.qbo.file_lock import exclusive_lock


def utc_now_iso() -> str:
    """Current UTC time as ISO 8601 (``2026-03-01T10:00:00+00:00``)."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


@dataclass
class StoredTokens:
    """What the store keeps for one company.

    Attributes:
        refresh_token: the newest refresh token; the only copy that still works.
        realm_id: company the token belongs to.
        updated_at: ISO 8601 UTC time of the last write.
        access_token: last access token, shared so concurrent runs reuse it.
        access_expires_at: wall-clock epoch seconds when ``access_token`` expires.
        refresh_expires_at: wall-clock epoch seconds when ``refresh_token`` expires,
            when Intuit said so (``x_refresh_token_expires_in``).
        refresh_hard_expires_at: wall-clock epoch seconds of the refresh token's hard
            expiry (``x_refresh_token_hard_expires_in``): the end of the 5-year/100-day
            authorization, after which only a person can re-authorize; ``check`` warns
            when it is near.
    """

    refresh_token: str
    realm_id: str
    updated_at: str
    access_token: str | None = None
    access_expires_at: float | None = None
    refresh_expires_at: float | None = None
    refresh_hard_expires_at: float | None = None

    def __repr__(self) -> str:
        """Show everything but the tokens, so a stray log line leaks nothing."""
        return (
            f"StoredTokens(realm_id={self.realm_id!r}, updated_at={self.updated_at!r}, "
            f"access_expires_at={self.access_expires_at!r}, "
            f"refresh_expires_at={self.refresh_expires_at!r}, "
            f"refresh_hard_expires_at={self.refresh_hard_expires_at!r})"
        )


class TokenStore:
    """A JSON file holding :class:`StoredTokens` per realm, with an adjacent ``.lock`` file."""

    def __init__(self, path: Path | str) -> None:
        """Create a store at ``path`` (nothing is touched until used).

        Args:
            path: token file; its directory is created with mode 0700 on first write.
        """
        self.path = Path(path).expanduser()
        self.lock_path = self.path.with_name(self.path.name + ".lock")

    def _ensure_dir(self) -> None:
        directory = self.path.parent
        if not directory.exists():
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold an exclusive ``flock`` on ``<path>.lock`` for the duration of the block.

        ``flock`` locks an open file description, so two threads of one process
        (each opening the file) exclude each other just like two processes.
        Not re-entrant.

        Yields:
            Nothing; the lock is held inside the ``with`` block.
        """
        self._ensure_dir()
        with exclusive_lock(self.lock_path):
            yield

    def _load(self) -> dict[str, Any] | None:
        """The file's realm entries as raw dicts (``None`` when there is no file).

        Raises:
            QuickBooksError: the file exists but is not a token file.
        """
        try:
            raw = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise self._corrupt(type(exc).__name__) from None
        if not isinstance(data, dict):
            raise self._corrupt("not a JSON object")
        if "realms" not in data:
            # The single-realm layout of earlier versions.
            return {str(data.get("realm_id") or ""): data}
        realms = data["realms"]
        if not isinstance(realms, dict) or not all(
            isinstance(entry, dict) for entry in realms.values()
        ):
            raise self._corrupt("'realms' is not an object of objects")
        return {str(realm): dict(entry) for realm, entry in realms.items()}

    def _corrupt(self, reason: str) -> QuickBooksError:
        return QuickBooksError(
            f"Token store {self.path} is not valid JSON token data ({reason}). "
            "Delete it and run `meltano invoke target-quickbooks:authorize` "
            "(or `target-quickbooks-admin authorize`) to store a new refresh token."
        )

    def _tokens(self, realm_id: str, entry: dict[str, Any]) -> StoredTokens:
        known = {f.name for f in fields(StoredTokens)}
        values = {k: v for k, v in entry.items() if k in known}
        values["realm_id"] = str(values.get("realm_id") or realm_id)
        values.setdefault("refresh_token", "")
        values.setdefault("updated_at", "")
        try:
            tokens = StoredTokens(**values)
        except TypeError:
            tokens = StoredTokens(refresh_token="", realm_id="", updated_at="")
        if not tokens.refresh_token or not tokens.realm_id:
            raise QuickBooksError(
                f"Token store {self.path} lacks refresh_token or realm_id"
                f"{f' for company {realm_id}' if realm_id else ''}. Delete it and run "
                "`meltano invoke target-quickbooks:authorize` (or `target-quickbooks-admin "
                "authorize`)."
            )
        return tokens

    def realms(self) -> list[str]:
        """Ids of the companies the store holds tokens for, oldest write first."""
        return [realm for realm in (self._load() or {}) if realm]

    def read(self, realm_id: str | None = None) -> StoredTokens | None:
        """Return the stored tokens of a company.

        Args:
            realm_id: the company; ``None`` gives the most recently written one
                (handy for tools and tests that use a single company).

        Returns:
            The tokens, or ``None`` when the file does not exist or holds nothing
            for ``realm_id``.

        Raises:
            QuickBooksError: the file (or the company's entry) is not token data;
                the message names the file and the fix (the token inside cannot
                be guessed).
        """
        realms = self._load()
        if realms is None:
            return None
        if realm_id is None:
            if not realms:
                return None
            realm_id, entry = list(realms.items())[-1]
        else:
            realm_id = str(realm_id)
            entry = realms.get(realm_id)
            if entry is None:
                return None
        return self._tokens(realm_id, entry)

    def write(self, tokens: StoredTokens, *, replaces: str | None = None) -> None:
        """Store one company's tokens atomically (temp file, fsync, ``os.replace``), mode 0600.

        Every other company's entry is kept; the only change to one is when it
        held the refresh token just spent (``replaces``): that copy is dead, so
        it gets the new tokens too. No entry is ever left holding a token that
        no longer works. Read-modify-write: hold :meth:`locked` around it when
        another process may write at the same time (``QuickBooksAuth`` does).
        A file that is not token data is replaced (its tokens cannot be
        recovered anyway).

        Args:
            tokens: the tokens to keep under ``tokens.realm_id``.
            replaces: the refresh token these tokens were obtained with.
        """
        try:
            realms = self._load() or {}
        except QuickBooksError:
            realms = {}
        realms.pop("", None)  # an old-layout file without realm_id holds nothing usable
        realms.pop(tokens.realm_id, None)  # re-inserted last: the most recent write
        if replaces:
            for realm, entry in realms.items():
                if entry.get("refresh_token") == replaces:
                    entry.update(asdict(tokens), realm_id=realm)
        realms[tokens.realm_id] = asdict(tokens)
        self._ensure_dir()
        directory = self.path.parent
        fd, tmp_name = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=directory)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                # Entry keys sorted, realm order kept (it records which was written last).
                body = {"realms": {realm: dict(sorted(entry.items()))
                                   for realm, entry in realms.items()}}
                json.dump(body, handle, indent=2)
                handle.write("\n")
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp_name, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp_name)
            raise
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
