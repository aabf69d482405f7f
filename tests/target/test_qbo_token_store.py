"""Token store: atomic 0600 writes, 0700 directory, exclusive lock across threads and processes."""

from __future__ import annotations

import fcntl
import json
import os
import stat
import subprocess
import sys
import threading

import pytest
from target_quickbooks.qbo import QuickBooksError, StoredTokens, TokenStore


def tokens(refresh: str = "refresh-token-1") -> StoredTokens:
    return StoredTokens(
        refresh_token=refresh,
        realm_id="9130350000000001",
        updated_at="2026-03-01T10:00:00+00:00",
        access_token="access-token-1",
        access_expires_at=1_900_000_000.0,
    )


def test_write_then_read_round_trip_with_private_modes(tmp_path):
    store = TokenStore(tmp_path / "secrets" / "nested" / "qbo-tokens.json")
    assert store.read() is None
    store.write(tokens())
    assert store.read() == tokens()
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.path.parent.stat().st_mode) == 0o700
    store.write(tokens("refresh-token-2"))
    assert store.read().refresh_token == "refresh-token-2"
    assert sorted(p.name for p in store.path.parent.iterdir()) == ["qbo-tokens.json"]


def test_repr_hides_tokens():
    text = repr(tokens())
    assert "refresh-token-1" not in text
    assert "access-token-1" not in text
    assert "9130350000000001" in text


def test_failed_replace_keeps_previous_file_and_no_temp(tmp_path, monkeypatch):
    store = TokenStore(tmp_path / "t.json")
    store.write(tokens("old-token-123"))

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="No space"):
        store.write(tokens("new-token-456"))
    monkeypatch.undo()
    assert store.read().refresh_token == "old-token-123"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_corrupt_file_gives_clear_error(tmp_path):
    store = TokenStore(tmp_path / "t.json")
    store.path.write_text("{half")
    with pytest.raises(QuickBooksError, match="authorize") as info:
        store.read()
    assert str(store.path) in str(info.value)
    store.path.write_text('{"realm_id": "1"}')
    with pytest.raises(QuickBooksError, match="lacks refresh_token"):
        store.read()


def test_lock_excludes_other_threads(tmp_path):
    store = TokenStore(tmp_path / "t.json")
    order: list[str] = []
    holding = threading.Event()

    def other() -> None:
        holding.wait(timeout=10)
        with store.locked():
            order.append("other")

    thread = threading.Thread(target=other)
    thread.start()
    with store.locked():
        holding.set()
        fd = os.open(store.lock_path, os.O_RDWR)
        try:
            with pytest.raises(BlockingIOError):
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        finally:
            os.close(fd)
        order.append("main")
    thread.join(timeout=10)
    assert order == ["main", "other"]
    assert stat.S_IMODE(store.lock_path.stat().st_mode) == 0o600


def test_lock_excludes_other_processes(tmp_path):
    store = TokenStore(tmp_path / "t.json")
    probe = (
        "import fcntl, os, sys\n"
        "fd = os.open(sys.argv[1], os.O_RDWR)\n"
        "try:\n"
        "    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)\n"
        "except BlockingIOError:\n"
        "    sys.exit(3)\n"
        "sys.exit(0)\n"
    )
    with store.locked():
        held = subprocess.run([sys.executable, "-c", probe, str(store.lock_path)], check=False)
    free = subprocess.run([sys.executable, "-c", probe, str(store.lock_path)], check=False)
    assert (held.returncode, free.returncode) == (3, 0)


def test_realms_are_kept_side_by_side(tmp_path):
    store = TokenStore(tmp_path / "t.json")
    first = tokens("refresh-a-1")
    second = StoredTokens(refresh_token="refresh-b-1", realm_id="222", updated_at="y")
    store.write(first)
    store.write(second)
    store.write(tokens("refresh-a-2"))
    assert store.realms() == ["222", "9130350000000001"]
    assert store.read("222") == second
    assert store.read("9130350000000001").refresh_token == "refresh-a-2"
    assert store.read().refresh_token == "refresh-a-2"  # most recent write
    assert store.read("333") is None
    data = json.loads(store.path.read_text())
    assert set(data) == {"realms"}
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600


def test_single_realm_file_of_earlier_versions_is_read_and_converted(tmp_path):
    store = TokenStore(tmp_path / "t.json")
    store.path.write_text(json.dumps({"refresh_token": "legacy-rt", "realm_id": "111",
                                      "updated_at": "x", "access_token": None}))
    assert store.read("111").refresh_token == "legacy-rt"
    assert store.read("222") is None
    store.write(StoredTokens(refresh_token="new-rt", realm_id="222", updated_at="y"))
    assert store.read("111").refresh_token == "legacy-rt"
    assert store.read("222").refresh_token == "new-rt"
    assert set(json.loads(store.path.read_text())["realms"]) == {"111", "222"}


def test_a_broken_entry_of_another_realm_neither_blocks_nor_is_dropped(tmp_path):
    store = TokenStore(tmp_path / "t.json")
    store.path.write_text(json.dumps({"realms": {"111": {"realm_id": "111"}}}))
    with pytest.raises(QuickBooksError, match=r"lacks refresh_token.*company 111"):
        store.read("111")
    store.write(tokens())
    assert store.read("9130350000000001") == tokens()
    assert json.loads(store.path.read_text())["realms"]["111"] == {"realm_id": "111"}
    store.path.write_text('{"realms": []}')
    with pytest.raises(QuickBooksError, match="not valid JSON token data"):
        store.read("111")


def test_spent_token_is_replaced_wherever_it_was_held(tmp_path):
    store = TokenStore(tmp_path / "t.json")
    store.write(StoredTokens(refresh_token="shared-1", realm_id="111", updated_at="x"))
    store.write(StoredTokens(refresh_token="other-1", realm_id="222", updated_at="x"))
    store.write(StoredTokens(refresh_token="shared-2", realm_id="333", updated_at="y"),
                replaces="shared-1")
    assert store.read("111").refresh_token == "shared-2"
    assert store.read("111").realm_id == "111"
    assert store.read("222").refresh_token == "other-1"
    assert store.read("333").refresh_token == "shared-2"
