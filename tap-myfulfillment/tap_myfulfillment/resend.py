"""Documents the target asks the tap to send again: deleted in QuickBooks after writing.

Why: feeds are incremental, so a document the tap emitted in an earlier run is not
emitted again unless it changes at the source. When a person deletes it in
QuickBooks, target-quickbooks (which keeps no copy of the records) lists its source
id under ``bookmarks["target-quickbooks"]["resend"][stream]`` and keeps it pending.
At the start of that stream the tap reads the document again by id
(``filters[id]=...``, one small request each) and emits it before the incremental
records, without moving the bookmark (it is older than the bookmark): the target
then writes it again.

A tap that does not do this leaves the entry pending (``report`` shows it, with the
fix: make the source emit the record again).
"""

from __future__ import annotations

import json
import typing as t
from collections.abc import Mapping

from tap_myfulfillment.foreign_state import ForeignBookmark, member_text

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context

    from tap_myfulfillment.client import MyFulfillmentStream

#: The target's bookmark, and the member listing the ids to send again per stream.
TARGET_BOOKMARK = "target-quickbooks"
RESEND = "resend"
#: Documents read again per stream and run at most (the rest waits for the next run).
MAX_PER_RUN = 200


def resend_ids(foreign: Mapping[str, ForeignBookmark]) -> dict[str, list[str]]:
    """Stream → source ids the target asks for, read from its entry (maps left unparsed)."""
    bookmark = foreign.get(TARGET_BOOKMARK)
    text = member_text(bookmark, RESEND) if bookmark is not None else None
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    if not isinstance(value, dict):
        return {}
    return {str(stream): [str(key) for key in ids] for stream, ids in value.items()
            if isinstance(ids, list)}


def emit_resent(stream: MyFulfillmentStream, ids: list[str], context: Context | None) -> int:
    """Read each document by id and write it as a RECORD; returns how many were written.

    Written directly (as the SDK writes a record), not yielded: an old record yielded
    would move the stream's bookmark back (or fail its sort check).
    """
    sent = 0
    if len(ids) > MAX_PER_RUN:
        stream.logger.warning("%s: %d documents to send again; %d this run, the rest on the "
                              "next runs", stream.name, len(ids), MAX_PER_RUN)
    for wanted in ids[:MAX_PER_RUN]:
        response = stream._send(context, {"filters[id]": wanted, "limit": 1, "offset": 0})
        rows = [row for row in stream.parse_response(response) if str(row.get("id")) == wanted]
        record = stream.transform(rows[0]) if rows else None
        if record is None:
            stream.logger.warning("%s %r: the target asked for it again (deleted in QuickBooks)"
                                  " but the source no longer has it", stream.name, wanted)
            continue
        stream._write_record_message(record)
        sent += 1
    if sent:
        stream.logger.info("%s: sent %d document(s) again, deleted in QuickBooks since they "
                           "were written", stream.name, sent)
    return sent
