"""Bookmarks of other plugins, passed through the tap as JSON text, once.

Meltano gives the tap the pipeline's whole state, including entries that are not
the tap's: target-quickbooks keeps its ID map in ``bookmarks["target-quickbooks"]``
(~4 MB of JSON for 100,000 SKUs) and reads it back from the tap's first STATE
message, because a target cannot read Meltano state itself. singer-sdk would
parse that entry into dicts, deep-copy it after each STATE message it writes and
serialise it into every one of them, so the tap's memory and output would grow
with the target's catalog although the tap never looks inside the entry.

Here, bookmarks whose name is not one of the tap's streams ("foreign") are:

- cut out of the ``--state`` file's text before it is parsed (:func:`split_state_text`),
  each kept as a span of that text, so only the tap's own bookmarks become dicts;
- kept out of the SDK's state (``Tap.state``), so nothing copies or re-serialises them;
- written as they are (only line breaks removed), once, in the first STATE
  message of the run, which comes before any RECORD (:class:`PassThroughWriter`).
  The target takes its entry from the first STATE message that carries it and
  re-adds its current entry to every state it emits, so the later STATE messages
  need not carry it. (A foreign entry
  that no plugin re-adds, e.g. of a stream this tap no longer has, is therefore
  not carried past the run: it is given to the target once, like everything else.)

The scan only finds where each bookmark starts and ends; it does not check the
JSON inside a foreign entry (the target parses it). Whatever the scan cannot
follow is left to singer-sdk's own parser, as before, so it never makes a state
file that the SDK accepts fail.
"""

from __future__ import annotations

import json
import re
import sys
import uuid
from collections.abc import Collection, Iterator, Mapping
from typing import Any, NamedTuple

from singer_sdk.io_base import SingerWriter
from singer_sdk.singerlib.encoding.simple import Message, StateMessage
from singer_sdk.singerlib.json import serialize_json
from typing_extensions import override

_WHITESPACE = re.compile(r"[ \t\n\r]*")
#: The next character that matters inside a container: a bracket or a string's quote.
_BRACKET_OR_QUOTE = re.compile(r'[{}\[\]"]')
#: The rest of a string after its opening quote (one repeat per escape, not per character,
#: so the regex engine keeps no backtracking state for long strings).
_STRING_REST = re.compile(r'[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
#: A number, true, false or null (checked by the parser of whoever reads it).
_SCALAR = re.compile(r"[^,}\]\s]+")
_CLOSER = {"{": "}", "[": "]"}
_LINE_BREAKS = re.compile(r"[\r\n][ \t\r\n]*")
#: Characters of a foreign bookmark written at a time.
_SLICE = 1 << 18


class ForeignBookmark(NamedTuple):
    """A foreign bookmark's value: ``text[start:end]``, JSON, kept where it was read.

    Pointing into the state file's text instead of slicing it saves a copy of the
    text; the file's text is released once the bookmark is written.
    """

    text: str
    start: int
    end: int

    @classmethod
    def of(cls, json_text: str) -> ForeignBookmark:
        """A bookmark that is the whole of ``json_text``."""
        return cls(json_text, 0, len(json_text))

    def pieces(self) -> Iterator[str]:
        """The JSON text in slices, line breaks and their indentation removed.

        In valid JSON a raw CR or LF, and the blanks after it, can only be
        whitespace between tokens, so they can go slice by slice.
        """
        for at in range(self.start, self.end, _SLICE):
            yield _LINE_BREAKS.sub("", self.text[at:min(at + _SLICE, self.end)])


#: Foreign bookmark name → its value.
ForeignBookmarks = dict[str, ForeignBookmark]


class _Unfollowed(ValueError):
    """The scan cannot follow the text (the SDK's parser will report why)."""


def split_state_text(text: str, own: Collection[str]) -> tuple[str, ForeignBookmarks]:
    """Split a state file's text into the tap's own state and the foreign bookmarks.

    Args:
        text: the ``--state`` file, ``{"bookmarks": {name: value, ...}, ...}``.
        own: the tap's stream names (their bookmarks are the tap's own).

    Returns:
        The text without the foreign bookmarks (for singer-sdk to parse as usual)
        and where each foreign bookmark's JSON is in ``text``. If the scan cannot
        follow the text, it is returned unchanged, with no foreign bookmarks.
    """
    try:
        start = _skip_whitespace(text, 0)
        if text[start] != "{":
            return text, {}
        top, _ = _members(text, start)
        bookmarks = [member for member in top if member[0] == "bookmarks"]
        if len(bookmarks) != 1 or text[bookmarks[0][2]] != "{":
            return text, {}
        _, _, opening, closing = bookmarks[0]
        entries, _ = _members(text, opening)
    except (ValueError, IndexError):  # _Unfollowed, or a key with a bad escape
        return text, {}
    kept = [text[key_at:value_end] for name, key_at, _, value_end in entries if name in own]
    foreign = {name: ForeignBookmark(text, value_at, value_end)
               for name, _, value_at, value_end in entries if name not in own}
    if not foreign:
        return text, {}
    return text[:opening + 1] + ",".join(kept) + text[closing - 1:], foreign


def member_text(bookmark: ForeignBookmark, name: str) -> str | None:
    """The JSON text of one top-level member of a foreign bookmark object, unparsed.

    For the few small keys the tap reads in the target's entry (``resend``), without
    parsing its maps. None when the bookmark is not an object, has no such member, or
    the scan cannot follow it.
    """
    try:
        start = _skip_whitespace(bookmark.text, bookmark.start)
        if bookmark.text[start] != "{":
            return None
        members, _ = _members(bookmark.text, start)
    except (ValueError, IndexError):
        return None
    for member, _, value_at, value_end in members:
        if member == name:
            return bookmark.text[value_at:value_end]
    return None


def split_state(state: Mapping[str, Any],
                own: Collection[str]) -> tuple[dict[str, Any], ForeignBookmarks]:
    """The same split for a state given as a dict (the SDK's ``Tap(state=...)``).

    Returns:
        A shallow copy of ``state`` with only the own bookmarks, and the foreign
        ones serialised as singer-sdk would write them.
    """
    bookmarks = state.get("bookmarks") or {}
    foreign = {name: ForeignBookmark.of(serialize_json(value))
               for name, value in bookmarks.items() if name not in own}
    if not foreign:
        return dict(state), {}
    kept = {name: value for name, value in bookmarks.items() if name in own}
    return {**state, "bookmarks": kept}, foreign


def state_line_pieces(value: Mapping[str, Any], foreign: ForeignBookmarks) -> Iterator[str]:
    """A STATE message line, in pieces: ``value`` with the foreign bookmarks added as text.

    Each foreign bookmark is serialised as a placeholder string that cannot occur
    in a state, and the line is cut at the placeholders, where the bookmark's text
    goes, in slices: so the text is neither parsed, re-encoded nor copied whole
    into a line (the write stays within a few hundred KB whatever its size).

    Yields:
        The line's text, without its newline.
    """
    marker = uuid.uuid4().hex
    placeholders = {name: f"{marker}:{index}" for index, name in enumerate(foreign)}
    bookmarks = {**(value.get("bookmarks") or {}), **placeholders}
    rest = serialize_json(StateMessage(value={**value, "bookmarks": bookmarks}).to_dict())
    for name, placeholder in placeholders.items():
        before, _, rest = rest.partition(serialize_json(placeholder))
        yield before
        yield from foreign[name].pieces()
    yield rest


class PassThroughWriter(SingerWriter):
    """singer-sdk's stdout writer, which also writes the foreign bookmarks, once.

    They go into the first STATE message, or into a STATE message of their own
    just before the first other message when the tap has no state of its own yet
    (singer-sdk writes no STATE before the first stream then).
    """

    def __init__(self) -> None:
        """Start with nothing to pass through."""
        super().__init__()
        self._foreign: ForeignBookmarks = {}

    def pass_through(self, foreign: ForeignBookmarks) -> None:
        """Write these bookmarks with the next message (added to any not yet written)."""
        self._foreign.update(foreign)

    @override
    def write_message(self, message: Message) -> None:
        """Write the message, preceded by or merged with the pending foreign bookmarks."""
        value = message.value if isinstance(message, StateMessage) else None
        if self._write_foreign(value) and value is not None:
            return
        super().write_message(message)

    def flush(self) -> None:
        """Write foreign bookmarks no message has carried yet, in a STATE of their own.

        For a run that wrote nothing at all (no stream selected, no bookmarks of its
        own): the target still gets its entry, so the state it emits keeps the map.
        ``TapMyFulfillment.invoke`` calls it only after a successful sync; a tap that
        fails writes nothing more, and Meltano keeps the state it had.
        """
        self._write_foreign({})

    def _write_foreign(self, value: Mapping[str, Any] | None) -> bool:
        if not self._foreign:
            return False
        foreign, self._foreign = self._foreign, {}
        for piece in state_line_pieces(value or {}, foreign):
            sys.stdout.write(piece)
        sys.stdout.write("\n")
        sys.stdout.flush()
        return True


def _members(text: str, opening: int) -> tuple[list[tuple[str, int, int, int]], int]:
    """The members of the JSON object opening at ``text[opening]``.

    Returns:
        ``(name, key start, value start, value end)`` of each member, and the
        index just after the object's closing brace.
    """
    members: list[tuple[str, int, int, int]] = []
    at = _skip_whitespace(text, opening + 1)
    if text[at] == "}":
        return members, at + 1
    while True:
        if text[at] != '"':
            raise _Unfollowed(at)
        after = _string_end(text, at)
        name = json.loads(text[at:after])
        colon = _skip_whitespace(text, after)
        if text[colon] != ":":
            raise _Unfollowed(colon)
        value_at = _skip_whitespace(text, colon + 1)
        value_end = _skip_value(text, value_at)
        members.append((name, at, value_at, value_end))
        at = _skip_whitespace(text, value_end)
        if text[at] == "}":
            return members, at + 1
        if text[at] != ",":
            raise _Unfollowed(at)
        at = _skip_whitespace(text, at + 1)


def _skip_value(text: str, at: int) -> int:
    """Index just after the JSON value starting at ``text[at]`` (containers not parsed)."""
    char = text[at]
    if char == '"':
        return _string_end(text, at)
    if char not in _CLOSER:
        scalar = _SCALAR.match(text, at)
        if scalar is None:
            raise _Unfollowed(at)
        return scalar.end()
    expected: list[str] = []
    while True:
        if char == '"':
            at = _string_end(text, at)
        else:
            if char in _CLOSER:
                expected.append(_CLOSER[char])
            elif not expected or char != expected.pop():
                raise _Unfollowed(at)  # a stray or mismatched closer
            if not expected:
                return at + 1
            at += 1
        following = _BRACKET_OR_QUOTE.search(text, at)
        if following is None:
            raise _Unfollowed(at)  # the container never closes
        at = following.start()
        char = text[at]


def _string_end(text: str, at: int) -> int:
    """Index just after the JSON string whose opening quote is ``text[at]``."""
    rest = _STRING_REST.match(text, at + 1)
    if rest is None:
        raise _Unfollowed(at)  # an unterminated string
    return rest.end()


def _skip_whitespace(text: str, at: int) -> int:
    match = _WHITESPACE.match(text, at)
    return match.end() if match else at
