"""Durable, process-safe storage of the rotating QuickBooks refresh token.

QuickBooks rotates refresh tokens: after a refresh the previous one dies.
Meltano regenerates a plugin's config on every run, so a token written back to
config is lost; the token therefore lives in its own file, written atomically
(a crash never leaves half a token) and guarded by an exclusive ``flock`` so two
processes refreshing at once cannot both spend the same token.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timezone
from pathlib import Path

from target_quickbooks.qbo.errors import QuickBooksError


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
    """

    refresh_token: str
    realm_id: str
    updated_at: str
    access_token: str | None = None
    access_expires_at: float | None = None
    refresh_expires_at: float | None = None

    def __repr__(self) -> str:
        """Show everything but the tokens, so a stray log line leaks nothing."""
        return (
            f"StoredTokens(realm_id={self.realm_id!r}, updated_at={self.updated_at!r}, "
            f"access_expires_at={self.access_expires_at!r}, "
            f"refresh_expires_at={self.refresh_expires_at!r})"
        )


class TokenStore:
    """A JSON file holding :class:`StoredTokens`, with an adjacent ``.lock`` file."""

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
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def read(self) -> StoredTokens | None:
        """Return the stored tokens, or ``None`` when the file does not exist.

        Raises:
            QuickBooksError: the file exists but is not a token file; the message
                names the file and the fix (the token inside cannot be guessed).
        """
        try:
            raw = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        try:
            data = json.loads(raw)
            known = {f.name for f in fields(StoredTokens)}
            values = {k: v for k, v in data.items() if k in known}
            values.setdefault("refresh_token", "")
            values.setdefault("realm_id", "")
            values.setdefault("updated_at", "")
            tokens = StoredTokens(**values)
        except (ValueError, TypeError, AttributeError) as exc:
            raise QuickBooksError(
                f"Token store {self.path} is not valid JSON token data ({type(exc).__name__}). "
                "Delete it and run `meltano invoke target-quickbooks:authorize` "
                "(or `target-quickbooks-admin authorize`) to store a new refresh token."
            ) from None
        if not tokens.refresh_token or not tokens.realm_id:
            raise QuickBooksError(
                f"Token store {self.path} lacks refresh_token or realm_id. Delete it and run "
                "`meltano invoke target-quickbooks:authorize` (or `target-quickbooks-admin "
                "authorize`)."
            )
        return tokens

    def write(self, tokens: StoredTokens) -> None:
        """Replace the stored tokens atomically (temp file, fsync, ``os.replace``), mode 0600.

        Args:
            tokens: the tokens to keep.
        """
        self._ensure_dir()
        directory = self.path.parent
        fd, tmp_name = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=directory)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(asdict(tokens), handle, indent=2, sort_keys=True)
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
