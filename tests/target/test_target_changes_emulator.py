"""Documents deleted or edited in QuickBooks, over real sockets against the QuickBooks emulator.

A person deletes one invoice and edits another through QuickBooks' API; the next
run finds both with one change data capture request: the deleted one is listed
for the tap to send again and, once its record is back, written again (new Id,
new requestid: nothing replayed); the edited one is reported as drift and left
alone; a run after that changes nothing.
"""

from __future__ import annotations

import requests
from target_quickbooks.state import BOOKMARK
from test_target_emulator import CUSTOMERS, INVOICE, emu, messages, run  # noqa: F401 (fixture)
from test_target_fakes import record, schema, state_message

SECOND = {**INVOICE, "id": "5002", "increment_id": "FA-2026-000000000005002"}


class Person:
    """Someone working in QuickBooks: the company API with their own token."""

    def __init__(self, qbo) -> None:
        token = requests.post(
            qbo.url + "/oauth2/v1/tokens/bearer",
            data={"grant_type": "refresh_token", "refresh_token": qbo.current_refresh_token()},
            auth=("demo-client-id", "demo-client-secret"), timeout=5).json()["access_token"]
        self.base = f"{qbo.api_url}/company/{qbo.realm_id}"
        self.headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}

    def post(self, path: str, body: dict, **params: str) -> dict:
        response = requests.post(f"{self.base}/{path}", json=body, headers=self.headers,
                                 params={"minorversion": "75", **params}, timeout=5)
        assert response.status_code == 200, response.text
        return response.json()


def entry(state: dict) -> dict:
    return state["bookmarks"][BOOKMARK]


def test_deleted_written_again_edited_reported_then_nothing_changes(emu, tmp_path):  # noqa: F811
    _, first = run(emu, tmp_path, messages(invoices=(INVOICE, SECOND), memos=()))
    by_number = {doc["PrivateNote"][-4:]: doc for doc in emu.entities("Invoice")}
    gone, edited = by_number["5001"], by_number["5002"]
    customers = {c["DisplayName"]: c["Id"] for c in emu.entities("Customer")}
    other = next(cid for cid in customers.values() if cid != edited["CustomerRef"]["value"])
    # The refresh token rotates: the person's token is taken after the target's run, and the
    # target's next run refreshes with what its token store holds.
    person = Person(emu)
    person.post("invoice", {"Id": gone["Id"], "SyncToken": gone["SyncToken"]},
                operation="delete")
    person.post("invoice", {"Id": edited["Id"], "SyncToken": edited["SyncToken"],
                            "sparse": True, "CustomerRef": {"value": other}})

    emu.reset_stats()
    target, second = run(emu, tmp_path, [state_message(first), schema("invoices")])
    stats = emu.stats()["by_kind"]
    assert (stats["cdc"], stats["read"], stats["query"], stats["batch"]) == (1, 0, 0, 0)
    now = entry(second)
    assert now["resend"] == {"invoices": ["5001"]}
    assert now["pending"]["invoices"]["5001"]["status"] == "deleted_in_quickbooks"
    assert now["pending"]["invoices"]["5001"]["deleted_id"] == gone["Id"]
    drift = now["drift"]["invoices"]["5002"]
    assert drift["id"] == edited["Id"]
    assert drift["changes"] == [f"customer Id {edited['CustomerRef']['value']} -> {other}"]
    assert "5001" not in now["invoices"]

    # The tap sends 5001 again (it honours `resend`): written again, nothing replayed.
    emu.reset_stats()
    target, third = run(emu, tmp_path, [state_message(second), schema("invoices"),
                                        record("invoices", INVOICE)])
    assert target.results.as_dict()["invoices"]["created"] == 1
    assert emu.stats()["replayed"] == 0
    again = [doc for doc in emu.entities("Invoice") if doc["PrivateNote"].endswith("5001")]
    assert len(again) == 1
    assert again[0]["Id"] != gone["Id"]
    kept = next(doc for doc in emu.entities("Invoice") if doc["Id"] == edited["Id"])
    assert kept["CustomerRef"]["value"] == other  # the edit is left alone
    assert kept["SyncToken"] == "1"
    after = entry(third)
    assert after["invoices"]["5001"].split(":")[0] == again[0]["Id"]
    assert "resend" not in after
    assert "invoices" not in after.get("pending", {})
    assert "5002" in after["drift"]["invoices"]

    # And a run after that changes nothing.
    emu.reset_stats()
    _, fourth = run(emu, tmp_path, [state_message(third), schema("invoices"),
                                    *(record("invoices", doc) for doc in (INVOICE, SECOND))])
    stats = emu.stats()["by_kind"]
    assert (stats["create"], stats["update"], stats["delete"], stats["batch"]) == (0, 0, 0, 0)
    assert stats["cdc"] == 1
    assert entry(fourth)["invoices"] == after["invoices"]
    assert entry(fourth)["drift"] == after["drift"]
    assert len(emu.entities("Invoice")) == 2
    assert CUSTOMERS  # the two customers of the first run are all there is
