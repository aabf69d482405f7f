"""Checking the target's entry in Meltano state before a run relies on it.

The entry (``bookmarks["target-quickbooks"]``, layout in :mod:`target_quickbooks.state`)
is data a person can edit (``meltano state edit``/``set``). A wrong type anywhere in
it used to end in a Python traceback, or worse, be read silently (a number taken as
an Id, a map that is not an object dropped, so entities were looked up again or
written twice). Here every field of the entry has a rule; a run whose entry breaks
one stops before writing anything and says which field (as a path a person can find
in ``meltano state get``), what it holds, what it should hold and how to repair it.

The four ID maps are not checked here when the STATE line was streamed
(:mod:`target_quickbooks.state_json`): their pairs are checked as they stream, so
memory stays flat; this module checks them only when the plain parser built them.

Fields this module does not know are left alone: newer code may add fields, and an
older entry lacks some. A feature that adds a field adds its rule to :data:`FIELDS`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

BOOKMARK = "target-quickbooks"
#: Where the entry is in a state, as shown in a problem's path.
ROOT = f'bookmarks["{BOOKMARK}"]'
#: Problems named in one message at most (the rest are counted, memory stays bounded).
MAX_PROBLEMS = 10


@dataclass(frozen=True)
class Problem:
    """One damaged field: where it is, what it holds, what it should hold, how to repair."""

    path: str
    found: str
    expected: str
    fix: str

    def describe(self) -> str:
        """One line for people."""
        return f"{self.path} is {self.found}, expected {self.expected}. {self.fix}"


class Problems:
    """The problems found so far (the first :data:`MAX_PROBLEMS`, and how many in all)."""

    def __init__(self) -> None:
        self.first: list[Problem] = []
        self.count = 0

    def add(self, problem: Problem) -> None:
        """Record one problem (kept only while there are few)."""
        self.count += 1
        if len(self.first) < MAX_PROBLEMS:
            self.first.append(problem)

    def __bool__(self) -> bool:
        return self.count > 0


class StateDamagedError(Exception):
    """The target's entry in the state has a field of the wrong type; nothing was written."""

    def __init__(self, problems: Problems, state_id: str | None = None) -> None:
        self.problems = problems
        self.state_id = state_id
        #: Set when the run had written records before the entry arrived (a tap that
        #: sends its first STATE late): they are not in the kept state.
        self.wrote_before = False
        #: False when no run is stopping (``report`` reading the state).
        self.in_run = True
        super().__init__(self.message())

    def message(self) -> str:
        """What is wrong and how to repair it, naming real Meltano commands."""
        sid = self.state_id or "<state id>"
        listed = sorted(self.problems.first, key=lambda p: p.path)
        outcome = (f", so the run stopped {_WROTE if self.wrote_before else _NOTHING} and "
                   "the stored state was kept as it is" if self.in_run else "")
        lines = [f"The {BOOKMARK} entry of the Meltano state{_of(self.state_id)} is damaged "
                 f"({self.problems.count} field(s) of the wrong type){outcome}:"]
        lines += [f"  - {problem.describe()}" for problem in listed]
        if self.problems.count > len(listed):
            lines.append(f"  - ... and {self.problems.count - len(listed)} more of the same "
                         "kind after these.")
        lines += [
            f"To repair: `meltano state edit {sid}` (the path is under \"singer_state\"), "
            "correct or delete the field(s) above and save; or `meltano state get "
            f"{sid} > state.json`, edit the file, then `meltano state set --force {sid} "
            "--input-file state.json`. Last resort: `meltano state clear --force "
            f"{sid}` makes the feed start over (the tap reads everything again; the target "
            "finds what QuickBooks already holds by SKU, customer and document number).",
        ]
        if self.state_id is None:
            lines.append("`meltano state list` lists the state ids (one per feed).")
        return "\n".join(lines)


_NOTHING = "before writing anything to QuickBooks"
_WROTE = ("(what it wrote to QuickBooks before the state arrived is found there again by "
          "the next run)")


def _of(state_id: str | None) -> str:
    return f" `{state_id}`" if state_id else ""


def key_path(path: str, key: str) -> str:
    """``path`` followed by a key a person chose (a SKU, a stream), quoted as JSON."""
    shown = key if len(key) <= 80 else key[:77] + "..."
    return f"{path}[{json.dumps(shown, ensure_ascii=False)}]"


def found(value: Any) -> str:
    """What a JSON value is, for a message: its type and, if short, itself."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"{json.dumps(value)} (true/false)"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        shown = json.dumps(value if len(value) <= 40 else value[:37] + "...", ensure_ascii=False)
        return f"a string ({shown})"
    shown = str(value)
    return f"a number ({shown if len(shown) <= 40 else shown[:37] + '...'})"


# Rules: each checks one value at ``path`` and adds what is wrong to ``problems``.
Rule = Callable[[Any, str, Problems], None]


def scalar(kind: type, expected: str, fix: str, *, null: bool = False) -> Rule:
    """A string, or an integer (never true/false), possibly null."""
    def check(value: Any, path: str, problems: Problems) -> None:
        if value is None and null:
            return
        if isinstance(value, kind) and not isinstance(value, bool):
            return
        problems.add(Problem(path, found(value), expected, fix))
    return check


def list_of(item: Rule, expected: str, fix: str) -> Rule:
    """A list whose items follow ``item``."""
    def check(value: Any, path: str, problems: Problems) -> None:
        if not isinstance(value, list):
            problems.add(Problem(path, found(value), expected, fix))
            return
        for index, element in enumerate(value):
            item(element, f"{path}[{index}]", problems)
    return check


def map_of(item: Rule, expected: str, fix: str) -> Rule:
    """An object whose values follow ``item`` (keys are whatever a person chose)."""
    def check(value: Any, path: str, problems: Problems) -> None:
        if not isinstance(value, Mapping):
            problems.add(Problem(path, found(value), expected, fix))
            return
        for key, element in value.items():
            item(element, key_path(path, str(key)), problems)
    return check


def fields(rules: Mapping[str, Rule], expected: str, fix: str) -> Rule:
    """An object whose named fields follow their rule (unknown fields are left alone)."""
    def check(value: Any, path: str, problems: Problems) -> None:
        if not isinstance(value, Mapping):
            problems.add(Problem(path, found(value), expected, fix))
            return
        for name, rule in rules.items():
            if name in value:
                rule(value[name], f"{path}.{name}", problems)
    return check


#: Each ID map: what names an entity in it, its value's layout, how a run finds one.
MAP_KINDS = {
    "items": ("item", "Id:SyncToken:hash", "its SKU"),
    "customers": ("customer", "Id:SyncToken:hash", "its customer key"),
    "invoices": ("invoice", "Id:SyncToken:fingerprint", "its document number"),
    "credit_memos": ("credit memo", "Id:SyncToken:fingerprint", "its document number"),
    "payments": ("payment", "Id:SyncToken:fingerprint",
                 "its note, through its invoice's linked transactions"),
}
#: The rule of each ID map's values (also used while a STATE line streams).
MAP_VALUE_RULES: dict[str, Rule] = {
    kind: scalar(str, f'a string ("{how}")',
                 f'Fix: write the QuickBooks Id as a string, e.g. "{how}", or delete this '
                 f"key: the next run finds the {name} in QuickBooks by {by}.")
    for kind, (name, how, by) in MAP_KINDS.items()
}
_PENDING_FIX = ("Fix: correct it, or delete this pending record (key and all): the record "
                "is then written again only when the source sends it again.")
_TEXT = scalar(str, "a string", _PENDING_FIX)
_TEXT_OR_NULL = scalar(str, "a string or null", _PENDING_FIX, null=True)
PENDING_RECORD = fields({
    "status": _TEXT, "reason": _TEXT, "since": _TEXT_OR_NULL,
    "attempts": scalar(int, "a whole number", _PENDING_FIX, null=True),
    "record": fields({}, "an object (the source record)", _PENDING_FIX),
    "field": _TEXT_OR_NULL, "code": _TEXT_OR_NULL, "detail": _TEXT_OR_NULL,
    "intuit_tid": _TEXT_OR_NULL, "hint": _TEXT_OR_NULL, "deleted_id": _TEXT_OR_NULL,
}, "an object {status, reason, since, attempts, record, ...}", _PENDING_FIX)
_DROP = "Fix: delete this key: {what}"
_RESULTS_FIX = _DROP.format(what="it only holds the last run's counts, rewritten by the next run.")
_REFS_FIX = _DROP.format(what="the next run checks the accounts in QuickBooks again.")
_PRODUCTS_FIX = _DROP.format(what="it only holds the last status of products not synced, "
                             "for `report`; the next run of their feed sets it again.")
_SKU_LIST_FIX = ("Fix: make it a list of SKU strings, or delete it: items whose name carries "
                 "their SKU may then be renamed at their next update.")
_VOIDED_FIX = _DROP.format(what="the next run finds the voided invoices in QuickBooks again.")
_REFUNDED_FIX = _DROP.format(what="the next run counts the credit memos it writes or finds "
                             "again; until then a refund over an invoice may go unnoticed.")
_REACTIVATED_FIX = (
    "Fix: correct it, or delete this key after checking in QuickBooks that the item or "
    'customer it names ("Entity:Id") is inactive as it should be: the target made it '
    "active for a document write and had not yet made it inactive again."
)
_CHANGES_FIX = _DROP.format(what="the next run checks QuickBooks' changes from then on "
                           "(changes made before are not seen).")
_DRIFT_FIX = _DROP.format(what="the documents still edited in QuickBooks are reported again "
                          "only when they change there again.")
_RESEND_FIX = _DROP.format(what="the target lists it again from its pending records.")
_RATES_FIX = _DROP.format(what="it lists the VAT rates documents carried, for `check`; the "
                         "next documents list them again.")
_REALM_FIX = ('Fix: write the QuickBooks company id as a string (e.g. "9130350000000001"), '
              "the realm_id this entry belongs to.")

#: Every field of an entry (one realm's) and its rule. The maps are included; a
#: streamed line has none left in the entry when this runs (see module docstring).
FIELDS: dict[str, Rule] = {
    "realm_id": scalar(str, "a string (the QuickBooks company id)", _REALM_FIX),
    "v": scalar(int, "a whole number (the entry's layout version, 1)",
                "Fix: set it to 1."),
    **{kind: map_of(MAP_VALUE_RULES[kind], f'an object {{key: "{how}"}}',
                    f"Fix: delete this key: the next run finds each {name} in QuickBooks "
                    f"by {by} and rebuilds the map.")
       for kind, (name, how, by) in MAP_KINDS.items()},
    "suffixed": list_of(scalar(str, "a string (a SKU)", _SKU_LIST_FIX),
                        "a list of SKU strings", _SKU_LIST_FIX),
    "voided": list_of(scalar(str, "a string (an invoice source id)", _VOIDED_FIX),
                      "a list of invoice id strings", _VOIDED_FIX),
    "rates_seen": list_of(scalar(str, 'a string (a VAT rate, e.g. "5.5")', _RATES_FIX),
                          "a list of VAT rate strings", _RATES_FIX),
    "refs": map_of(map_of(scalar(str, "a string", _REFS_FIX), 'an object {"value", "name"}',
                          _REFS_FIX), "an object {setting: {value, name}}", _REFS_FIX),
    "products": map_of(list_of(scalar(str, "a string", _PRODUCTS_FIX), "a list [status, at]",
                               _PRODUCTS_FIX), "an object {sku: [status, at]}", _PRODUCTS_FIX),
    "pending": map_of(map_of(PENDING_RECORD, "an object {key: pending record}",
                             "Fix: delete this key: its records are then written again only "
                             "when the source sends them again."),
                      "an object {stream: {key: pending record}}",
                      "Fix: delete this key: pending records are then written again only "
                      "when the source sends them again."),
    "results": map_of(map_of(scalar(int, "a whole number", _RESULTS_FIX),
                             "an object {outcome: count}", _RESULTS_FIX),
                      "an object {stream: {outcome: count}}", _RESULTS_FIX),
    "last_run": scalar(str, "a string (ISO time) or null", _RESULTS_FIX, null=True),
    "reactivated": map_of(fields({name: scalar(str, "a string (a SyncToken)", _REACTIVATED_FIX)
                                  for name in ("token", "after")},
                                 'an object {"token": SyncToken, "after": SyncToken}',
                                 _REACTIVATED_FIX),
                          'an object {"Entity:Id": {"token", "after"}}', _REACTIVATED_FIX),
    "changes_checked": scalar(str, "a string (ISO time) or null", _CHANGES_FIX, null=True),
    "drift": map_of(map_of(fields({
        "id": scalar(str, "a string (QuickBooks Id)", _DRIFT_FIX),
        "changes": list_of(scalar(str, "a string", _DRIFT_FIX), "a list of strings",
                           _DRIFT_FIX)}, "an object {id, changes, ...}", _DRIFT_FIX),
        "an object {key: drift}", _DRIFT_FIX), "an object {stream: {key: drift}}", _DRIFT_FIX),
    "resend": map_of(list_of(scalar(str, "a string (a source id)", _RESEND_FIX),
                             "a list of source id strings", _RESEND_FIX),
                     "an object {stream: [source id, ...]}", _RESEND_FIX),
    "refunded": map_of(map_of(scalar(str, 'a string (an amount, e.g. "12.50")', _REFUNDED_FIX),
                              'an object {credit memo id: "amount"}', _REFUNDED_FIX),
                       "an object {invoice id: {credit memo id: amount}}", _REFUNDED_FIX),
}
_ENTRY_EXPECTED = "an object (the target's ID map and records)"
_ENTRY_FIX = (f"Fix: delete the key \"{BOOKMARK}\" from bookmarks: the next run finds what "
              "QuickBooks already holds by SKU, customer and document number.")
_OTHER_FIX = ("Fix: correct it, or delete this realm's key: the map of that other QuickBooks "
              "company is then rebuilt when the target writes to it again.")


def check_entry(entry: Any, problems: Problems, path: str = ROOT, *,
                nested: bool = False) -> None:
    """Add to ``problems`` every field of ``entry`` (one realm's) with the wrong type."""
    if not isinstance(entry, Mapping):
        problems.add(Problem(path, found(entry), _ENTRY_EXPECTED,
                             _OTHER_FIX if nested else _ENTRY_FIX))
        return
    if "realm_id" not in entry and not nested:
        problems.add(Problem(f"{path}.realm_id", "missing", "a string (the QuickBooks company "
                             "id)", _REALM_FIX))
    fields(FIELDS, _ENTRY_EXPECTED, _ENTRY_FIX)(entry, path, problems)
    others = entry.get("other_realms")
    if others is None and "other_realms" not in entry:
        return
    if not isinstance(others, Mapping):
        problems.add(Problem(f"{path}.other_realms", found(others),
                             "an object {realm_id: entry}", _OTHER_FIX))
        return
    for realm, other in others.items():
        check_entry(other, problems, key_path(f"{path}.other_realms", str(realm)), nested=True)


def check_map_value(kind: str, key: str, value: Any, problems: Problems) -> None:
    """Check one pair of an ID map as it streams (the pairs are never all in memory)."""
    MAP_VALUE_RULES[kind](value, key_path(f"{ROOT}.{kind}", key), problems)


def entry_of(value: Any) -> Mapping[str, Any] | None:
    """This target's entry in a STATE value (or a Meltano state), if it has one.

    Raises:
        StateDamagedError: the state has an entry, but it is not an object.
    """
    if isinstance(value, Mapping) and "singer_state" in value:
        value = value["singer_state"]  # as `meltano state get` shows it
    bookmarks = value.get("bookmarks") if isinstance(value, Mapping) else None
    if not isinstance(bookmarks, Mapping) or BOOKMARK not in bookmarks:
        return None
    entry = bookmarks[BOOKMARK]
    if not isinstance(entry, Mapping):
        problems = Problems()
        check_entry(entry, problems)
        raise StateDamagedError(problems)
    return entry


def validate_entry(entry: Mapping[str, Any], streamed: Problems | None = None) -> None:
    """Raise :class:`StateDamagedError` if ``entry`` (or its streamed maps) is damaged."""
    problems = streamed if streamed is not None else Problems()
    check_entry(entry, problems)
    if problems:
        raise StateDamagedError(problems)
