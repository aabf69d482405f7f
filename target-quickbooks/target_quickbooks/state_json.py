"""Reading and writing STATE lines without holding the ID map as Python objects.

The target's entry in Meltano state carries one map per entity kind, and on a
large catalogue they are most of the line (100,000 SKUs: about 4 MB). Parsed
with ``json.loads`` they cost ~50 times that in objects, so the map would make
the target's memory grow with the catalogue. Here:

* :func:`decode_state_line` parses a STATE line like ``json.loads`` (floats as
  ``Decimal``, as singer-sdk does) except that the pairs of
  ``value.bookmarks["target-quickbooks"].<map>`` go to a callback, a chunk at a
  time, instead of into dicts; the entry comes back without those keys.
* :func:`write_state_line` writes a STATE value whose entry's maps are streamed
  from an :class:`~target_quickbooks.idmap.IdMap`, so the line is never built
  whole in memory.

Anything unexpected makes :func:`decode_state_line` return None, and the caller
falls back to the plain parser: this is an optimisation, never a different
reading of the state. A map pair whose value is not a string is not unexpected
but damage: it is checked as it streams
(:func:`~target_quickbooks.state_check.check_map_value`) and left out of the map,
so it is reported as the plain parser's check would report it, without the map
ever being built in Python.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from json.encoder import encode_basestring_ascii
from typing import Any, TextIO

from singer_sdk.io_base import SingerReader
from singer_sdk.singerlib.json import serialize_json
from typing_extensions import override

from target_quickbooks.idmap import CHUNK, MAPS, IdMap
from target_quickbooks.state_check import BOOKMARK, Problems, check_map_value

__all__ = ["BOOKMARK", "ENTRY_PATH", "StateMapReader", "decode_state_line",
           "write_state_line"]
#: The entry's path in a STATE message; the map objects are one level below it.
ENTRY_PATH = ("value", "bookmarks", BOOKMARK)
#: Receives a chunk of ``(key, value)`` pairs of one map: ``sink(kind, pairs)``.
MapSink = Callable[[str, list[tuple[str, str]]], object]

_WS = re.compile(r"[ \t\n\r]*")
_STRING = r'"((?:[^"\\\x00-\x1f]|\\.)*)"'
#: One ``"key": "value"`` pair of a map and the separator after it.
_PAIR = re.compile(rf"[ \t\n\r]*{_STRING}[ \t\n\r]*:[ \t\n\r]*{_STRING}[ \t\n\r]*([,}}])")
#: The json module's own string and value scanners (C-accelerated; not in its typing).
_scanstring: Callable[[str, int], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]
_SCAN: Callable[[str, int], tuple[Any, int]] = (
    json.JSONDecoder(parse_float=Decimal).scan_once)  # type: ignore[attr-defined]
#: Lines worth the streaming reader: they name our entry (a cheap substring test).
_NEEDLE = f'"{BOOKMARK}"'


class _NotPlain(ValueError):
    """The line is not what the streaming reader handles; use the plain parser."""


def _skip_ws(text: str, index: int) -> int:
    match = _WS.match(text, index)
    return match.end() if match else index


def _unescape(raw: str) -> str:
    return json.loads(f'"{raw}"') if "\\" in raw else raw


def _any_pair(text: str, index: int) -> tuple[str, Any, str, int]:
    """The pair at ``text[index]`` whatever its value (key, value, separator, end)."""
    index = _skip_ws(text, index)
    if text[index] != '"':
        raise _NotPlain(index)
    key, index = _scanstring(text, index + 1)
    index = _skip_ws(text, index)
    if text[index] != ":":
        raise _NotPlain(index)
    value, index = _SCAN(text, _skip_ws(text, index + 1))
    index = _skip_ws(text, index)
    if text[index] not in ",}":
        raise _NotPlain(index)
    return key, value, text[index], index + 1


def _stream_map(text: str, index: int, kind: str, sink: MapSink | None,
                problems: Problems | None) -> int:
    """Send the pairs of the object opening at ``text[index]`` to ``sink`` (or skip them).

    A pair whose value is not a string is damage: it goes to ``problems`` (when
    given), never to ``sink``.
    """
    index = _skip_ws(text, index + 1)
    if text[index] == "}":
        return index + 1
    chunk: list[tuple[str, str]] = []
    while True:
        match = _PAIR.match(text, index)
        if match is not None:
            separator, index = match.group(3), match.end()
            if sink is not None:
                chunk.append((_unescape(match.group(1)), _unescape(match.group(2))))
        else:
            # Not a plain string pair: read it whole. (With a key repeated, json.loads
            # keeps the last copy; a damaged earlier copy is still reported here.)
            key, value, separator, index = _any_pair(text, index)
            if isinstance(value, str):
                if sink is not None:
                    chunk.append((key, value))
            elif problems is not None:
                check_map_value(kind, key, value, problems)
        if sink is not None and len(chunk) >= CHUNK:
            sink(kind, chunk)
            chunk = []
        if separator == "}":
            break
    if sink is not None and chunk:
        sink(kind, chunk)
    return index


def _object(text: str, index: int, path: tuple[str, ...], sink: MapSink | None,
            problems: Problems | None) -> tuple[dict[str, Any], int]:
    """Parse the object at ``text[index]``, descending only along :data:`ENTRY_PATH`."""
    if text[index] != "{":
        raise _NotPlain(path)
    result: dict[str, Any] = {}
    seen: set[str] = set()
    index = _skip_ws(text, index + 1)
    if text[index] == "}":
        return result, index + 1
    while True:
        if text[index] != '"':
            raise _NotPlain(path)
        key, index = _scanstring(text, index + 1)
        if key in seen:
            # json.loads keeps the last copy; streaming cannot take one back: plain parser.
            raise _NotPlain(path)
        seen.add(key)
        index = _skip_ws(text, index)
        if text[index] != ":":
            raise _NotPlain(path)
        index = _skip_ws(text, index + 1)
        child = (*path, key)
        if path == ENTRY_PATH and key in MAPS and text[index] == "{":
            index = _stream_map(text, index, key, sink, problems)
        elif child == ENTRY_PATH[: len(child)] and text[index] == "{":
            result[key], index = _object(text, index, child, sink, problems)
        else:
            result[key], index = _SCAN(text, index)
        index = _skip_ws(text, index)
        if text[index] == "}":
            return result, index + 1
        if text[index] != ",":
            raise _NotPlain(path)
        index = _skip_ws(text, index + 1)


def decode_state_line(line: str, sink: MapSink | None,
                      problems: Problems | None = None) -> dict[str, Any] | None:
    """Parse a Singer message line, streaming the entry's maps to ``sink``.

    ``sink`` None skips the maps without building them (the tap repeats the entry
    in each of its STATE messages; only the first is read). Map pairs whose value
    is not a string are left out of ``sink`` and added to ``problems``. Returns
    None when the line is not a JSON object this reader handles: parse it with
    ``json.loads``.
    """
    try:
        start = _skip_ws(line, 0)
        message, end = _object(line, start, (), sink, problems)
        if _skip_ws(line, end) != len(line):
            return None
    except (_NotPlain, StopIteration, IndexError, ValueError):
        return None
    return message


def _map_json(pairs: Iterable[tuple[str, str]], out: TextIO) -> None:
    out.write("{")
    chunk: list[str] = []
    first = True
    for key, value in pairs:
        chunk.append(f"{encode_basestring_ascii(key)}:{encode_basestring_ascii(value)}")
        if len(chunk) >= CHUNK:
            out.write(("" if first else ",") + ",".join(chunk))
            first, chunk = False, []
    if chunk:
        out.write(("" if first else ",") + ",".join(chunk))
    out.write("}")


def write_state_line(out: TextIO, value: Mapping[str, Any], entry: Mapping[str, Any],
                     maps: Callable[[str], Iterable[tuple[str, str]]]) -> None:
    """Write ``value`` with ``entry`` under ``bookmarks["target-quickbooks"]``, one line.

    The entry's maps (keys of :data:`MAPS` whose value in ``entry`` is None) are
    written from ``maps(kind)`` as they are read; everything else is serialised
    as singer-sdk serialises states.
    """
    token = uuid.uuid4().hex
    markers = {kind: f"\u0001{token}:{kind}" for kind in MAPS
               if kind in entry and entry[kind] is None}
    placed = {**entry, **markers}
    bookmarks = value.get("bookmarks")
    merged = {**value, "bookmarks": {**(bookmarks if isinstance(bookmarks, Mapping) else {}),
                                     BOOKMARK: placed}}
    text = serialize_json(merged)
    places = sorted((text.index(serialize_json(marker)), kind, len(serialize_json(marker)))
                    for kind, marker in markers.items())
    done = 0
    for at, kind, length in places:
        out.write(text[done:at])
        _map_json(maps(kind), out)
        done = at + length
    out.write(text[done:] + "\n")
    out.flush()


class StateMapReader(SingerReader):
    """singer-sdk's reader, except that STATE lines carrying our entry stream its maps.

    The maps of the first such line (while :attr:`want_maps` says so) go into an
    :class:`IdMap` that the target claims with :meth:`take_maps` when it handles
    the message; those of later lines, the tap's copies of the same old entry,
    are skipped without being built.
    """

    def __init__(self) -> None:
        super().__init__()
        #: Whether the next entry's maps are wanted (the target has none loaded yet).
        self.want_maps: Callable[[], bool] = lambda: True
        self._maps: IdMap | None = None
        self._problems: Problems | None = None

    @override
    def deserialize_json(self, line: str) -> dict:
        if isinstance(line, str) and _NEEDLE in line:
            maps = IdMap() if self.want_maps() else None
            problems = Problems() if maps is not None else None
            message = decode_state_line(line, maps.load if maps is not None else None,
                                        problems)
            if message is not None and message.get("type") == "STATE":
                self._keep(maps, problems)
                return message
            if maps is not None:
                maps.close()
        return super().deserialize_json(line)

    def _keep(self, maps: IdMap | None, problems: Problems | None) -> None:
        if self._maps is not None:
            self._maps.close()
        self._maps, self._problems = maps, problems

    def take_maps(self) -> IdMap | None:
        """The maps streamed from the message being handled (then the caller owns them)."""
        maps, self._maps = self._maps, None
        return maps

    def take_problems(self) -> Problems | None:
        """The damaged map pairs of the message being handled (see :meth:`take_maps`)."""
        problems, self._problems = self._problems, None
        return problems
