"""The ``tap-myfulfillment`` entry point: settings, streams and their order."""

from __future__ import annotations

import contextlib
import io
import logging
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cached_property
from types import FrameType
from typing import IO, Any

import click
from singer_sdk import Stream, Tap
from singer_sdk import typing as th
from singer_sdk.helpers._util import load_json
from typing_extensions import override

from tap_myfulfillment.auth import MyFulfillmentAuthenticator
from tap_myfulfillment.client import MyFulfillmentStream
from tap_myfulfillment.failures import explain
from tap_myfulfillment.foreign_state import (
    ForeignBookmarks,
    PassThroughWriter,
    split_state,
    split_state_text,
)
from tap_myfulfillment.invoice_numbers import InvoiceNumbers
from tap_myfulfillment.requesting import DEFAULT_PAGE_SIZE
from tap_myfulfillment.resend import resend_ids
from tap_myfulfillment.streams import STREAM_NAMES, STREAM_TYPES


class _Handover:
    """Between ``invoke`` and the tap it creates inside singer-sdk.

    ``invoke`` hands over the foreign bookmarks it cut out of the ``--state`` file;
    the tap hands back its writer, so that ``invoke`` can write the bookmarks no
    message carried once the sync has succeeded (``Tap.sync_all`` is final).
    """

    def __init__(self, foreign: ForeignBookmarks) -> None:
        self.foreign = foreign
        self.writer: PassThroughWriter | None = None

    def take(self, writer: object) -> ForeignBookmarks:
        """The bookmarks (given once: the file's text is then held by the writer only)."""
        foreign, self.foreign = self.foreign, {}
        if isinstance(writer, PassThroughWriter):
            self.writer = writer
        return foreign


LOGGER = logging.getLogger("tap-myfulfillment")

#: The last line when the reader of the tap's output (the target) stopped first.
OUTPUT_CLOSED = (
    "tap-myfulfillment stopped: its output was closed (the target stopped first). "
    "Nothing is lost: the next run reads again from the bookmarks the target saved."
)


class Interrupted(BaseException):
    """SIGINT/SIGTERM: a ``BaseException``, so no stream logs it as an error on its way out."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        name = signal.Signals(signum).name
        super().__init__(
            f"Interrupted ({name}, signal {signum}): tap-myfulfillment stopped before the end "
            "of its read. Nothing is lost: the next run reads again from the bookmarks the "
            "target saved.")

_FOREIGN_FROM_FILE: ContextVar[_Handover | None] = ContextVar(
    "tap_myfulfillment_foreign_bookmarks", default=None)


class TapMyFulfillment(Tap):
    """Singer tap for Boostmyshop myFulfillment."""

    name = "tap-myfulfillment"
    #: Writes other plugins' bookmarks once, as text (see ``foreign_state``).
    message_writer_class = PassThroughWriter

    config_jsonschema = th.PropertiesList(
        th.Property(
            "base_url",
            th.URIType,
            required=True,
            title="API base URL",
            description=(
                "myFulfillment API root of your server, ending in /api, "
                "e.g. https://fr3.myfulfillment.boostmyshop.com/api"
            ),
            examples=["https://fr3.myfulfillment.boostmyshop.com/api"],
        ),
        th.Property(
            "username",
            th.StringType,
            required=True,
            title="Username",
            description="myFulfillment API user (sent to POST /auth/token)",
        ),
        th.Property(
            "password",
            th.StringType,
            required=True,
            secret=True,
            title="Password",
            description="Password of the myFulfillment API user",
        ),
        th.Property(
            "start_date",
            th.DateTimeType,
            title="Start date",
            description=(
                "First sync only: emit records updated at or after this UTC time "
                "(later runs start from the saved bookmark). Empty: everything."
            ),
        ),
        th.Property(
            "page_size",
            th.IntegerType(minimum=1, maximum=1000),
            default=DEFAULT_PAGE_SIZE,
            title="Page size",
            description="Records per API request (`limit`)",
        ),
        th.Property(
            "id_tie_breaker",
            th.BooleanType,
            default=True,
            title="Sort ties by id",
            description=(
                "Also send `sorts[id]=desc` so records of the same second keep one order "
                "across pages. The API's documentation shows one sort at a time; turn this "
                "off if your server refuses a second `sorts[...]` parameter (pages then "
                "overlap by a few records instead)."
            ),
        ),
    ).to_dict()

    @cached_property
    def authenticator(self) -> MyFulfillmentAuthenticator:
        """One login shared by every stream of the run."""
        return MyFulfillmentAuthenticator(
            token_url=str(self.config["base_url"]).rstrip("/") + "/auth/token",
            username=str(self.config.get("username") or ""),
            password=str(self.config.get("password") or ""),
        )

    @cached_property
    def sort_checks(self) -> dict[str, bool]:
        """Per endpoint path: whether this run found that the server honours the sort.

        ``orders`` and ``customers`` read the same listing, so one check serves both.
        """
        return {}

    @cached_property
    def invoice_numbers(self) -> InvoiceNumbers:
        """Invoice numbers known in this run, for the credit memos (see ``invoice_numbers``)."""
        return InvoiceNumbers()

    @classmethod
    @override
    def invoke(cls, *, state: IO[str] | None = None, **options: Any) -> None:
        """Run the tap; other plugins' bookmarks in ``--state`` are kept as text.

        singer-sdk parses the ``--state`` file here, before any other hook sees
        it, so this is the one place where the target's ID map (megabytes of JSON
        for a large catalog) can be cut out of the text unparsed. Only the tap's
        own bookmarks go on to the SDK; the rest reach :meth:`load_state` of the
        tap created below through a context variable (``invoke`` creates it
        inside singer-sdk, with no other way to hand it data).

        Args:
            state: the ``--state`` file, if any.
            options: the other command-line options, passed on unchanged.
        """
        with _one_line_failures():
            cls._invoke(state=state, **options)

    @classmethod
    def _invoke(cls, *, state: IO[str] | None = None, **options: Any) -> None:
        """``invoke`` proper (see there)."""
        if state is None:
            super().invoke(**options)
            return
        own_text, foreign = split_state_text(state.read(), STREAM_NAMES)
        handover = _Handover(foreign)
        del foreign  # from now on only the writer holds the file's text, until it writes it
        token = _FOREIGN_FROM_FILE.set(handover)
        try:
            super().invoke(state=io.StringIO(own_text), **options)
        finally:
            _FOREIGN_FROM_FILE.reset(token)
        # The sync succeeded. A run that wrote no message at all (no stream selected, no
        # bookmarks of its own) has not passed them on yet: a STATE of their own. A run
        # that fails writes nothing more, and Meltano keeps the state it had.
        if handover.writer is not None:
            handover.writer.flush()

    @override
    def load_state(self, state: dict[str, Any]) -> None:
        """Load the tap's own bookmarks; pass the other plugins' ones through, once.

        The other bookmarks (the target's ID map above all) stay out of
        ``self.state``, which singer-sdk deep-copies and serialises after every
        STATE message; the message writer writes them, as text, into the first
        STATE message of the run, before any record (see ``foreign_state``).

        Args:
            state: the state the tap was given (a dict, the SDK's way).
        """
        own, foreign = split_state(state, STREAM_NAMES)
        handover = _FOREIGN_FROM_FILE.get()
        if handover is not None:
            foreign.update(handover.take(self.message_writer))
        super().load_state(own)
        #: Stream → source ids the target asks for again (see ``resend``).
        self.resend = resend_ids(foreign)
        if not foreign:
            return
        if isinstance(self.message_writer, PassThroughWriter):
            self.message_writer.pass_through(foreign)
        else:  # a writer given by the caller: back to the SDK's way, parsed in the state
            super().load_state({"bookmarks": {name: load_json("".join(bookmark.pieces()))
                                              for name, bookmark in foreign.items()}})

    @override
    def _handle_termination(self, signum: int, frame: FrameType | None) -> None:
        """Stop on SIGINT/SIGTERM with one line and no traceback (see ``Interrupted``).

        The SDK's default writes a last STATE (into a pipe whose reader may be gone:
        a ``BrokenPipeError`` traceback) and exits 0 as if the read were complete.
        Later signals are ignored: ``meltano run`` follows Ctrl-C with a SIGTERM.
        """
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise Interrupted(signum)

    @override
    def discover_streams(self) -> list[Stream]:
        """Create the streams in dependency order.

        Returns:
            products, orders, customers, invoices, credit_memos.
        """
        return [stream_type(tap=self) for stream_type in STREAM_TYPES]

    @property
    @override
    def streams(self) -> dict[str, Stream]:
        """The streams in dependency order instead of the SDK's alphabetical one.

        The target creates items and customers before the invoices and credit
        memos that reference them, so ``credit_memos`` must not come first.
        (``Tap.load_streams``, which sorts by name, is final in singer-sdk 0.54,
        so the order is restored here; sync, discovery and the catalog all read
        this mapping.)

        Returns:
            Stream name to stream: products, orders, customers, invoices, credit_memos.
        """
        loaded = super().streams
        return dict(sorted(loaded.items(), key=lambda item: _rank(item[0])))


@contextmanager
def _one_line_failures() -> Iterator[None]:
    """End a run an operator can fix with one ``Error: <cause>. Fix: <fix>`` line, exit 1.

    The traceback goes to the debug log (``TAP_MYFULFILLMENT_LOGLEVEL=debug``);
    an error ``failures.explain`` does not know (a bug) keeps its traceback.
    """
    try:
        yield
    except Interrupted as stop:
        _quiet_stdout()
        sys.stderr.write(f"{stop}\n")
        raise SystemExit(128 + stop.signum) from None
    except BrokenPipeError:
        _quiet_stdout()
        sys.stderr.write(f"{OUTPUT_CLOSED}\n")
        raise SystemExit(1) from None
    except Exception as error:
        message = explain(error, tries=MyFulfillmentStream.retry_max_tries)
        if message is None:
            raise
        LOGGER.debug("Why tap-myfulfillment stopped", exc_info=True)
        raise RunStoppedError(message) from None


def _quiet_stdout() -> None:
    """Send what is left of stdout to /dev/null: its reader is gone or stopping.

    Flushing the rest into a closed pipe raises ``BrokenPipeError`` again at exit
    (``Exception ignored ... BrokenPipeError``), the flood this avoids; into a live
    one it could end with half a line. The records not sent are sent by the next
    run: the target saves bookmarks only for records it handled.
    """
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


class RunStoppedError(click.ClickException):
    """A failure with its cause and fix: click prints ``Error: <message>`` last, exit 1."""


def _rank(stream_name: str) -> int:
    """Position of a stream in the dependency order (unknown names last)."""
    if stream_name in STREAM_NAMES:
        return STREAM_NAMES.index(stream_name)
    return len(STREAM_NAMES)


if __name__ == "__main__":
    TapMyFulfillment.cli()
