"""``target-quickbooks-reconcile``: the Singer target of the ``reconcile`` job.

Fed by its own inherited tap (``tap-myfulfillment--reconcile``), which reads the
invoices and credit memos in full: this target never emits a STATE message, so
Meltano never stores bookmarks for that pipeline and every run reads everything
again. It holds no ID map and writes nothing: its QuickBooks client is handed
only to :func:`~.quickbooks.read_documents`, which sends GET queries.

At the end of the input it compares, prints the report (the log; also a file
with ``reconcile_report_path``) and exits 1 when anything differs, so
``meltano run reconcile`` fails and the scheduler shows it.
"""

from __future__ import annotations

import copy
import sys
import typing as t
from pathlib import Path

import click
from singer_sdk import Target
from singer_sdk.sinks import RecordSink
from typing_extensions import override

from target_quickbooks.client_setup import build_client
from target_quickbooks.company_time import company_zone
from target_quickbooks.reconcile.compare import reconcile
from target_quickbooks.reconcile.model import KINDS, Report
from target_quickbooks.reconcile.quickbooks import read_documents
from target_quickbooks.reconcile.render import FORMATS, render, verdict
from target_quickbooks.reconcile.source import SourceBook
from target_quickbooks.run_errors import OPERATOR_ERRORS, RunStoppedError
from target_quickbooks.settings import CONFIG_SCHEMA, tax_code_table
from target_quickbooks.writer import canonical_stream


class DifferencesFoundError(click.ClickException):
    """The books differ from the source: the run exits 1 after the report."""


class SourceDocumentsSink(RecordSink):
    """Hands each invoice and credit memo record to the target's :class:`SourceBook`."""

    def __init__(self, target: ReconcileTarget, stream_name: str, schema: dict,
                 key_properties: t.Sequence[str] | None) -> None:
        """Keep the target: its :class:`SourceBook` takes the records."""
        super().__init__(target, stream_name, schema, key_properties)
        self.reconcile_target = target

    @override
    def process_record(self, record: dict, context: dict) -> None:
        kind = canonical_stream(self.stream_name)
        if kind in KINDS:
            self.reconcile_target.source_book().add(kind, record)

    # The feeds' rule: a record off the tap's schema is judged by the record contract
    # (here: reported as unreadable), never stops the run.
    @override
    def _validate_and_parse(self, record: dict) -> dict:
        return record

    @override
    def _singer_validate_message(self, record: dict) -> None:
        return


class ReconcileTarget(Target):
    """Compares the source's documents with QuickBooks'; writes nothing anywhere."""

    name = "target-quickbooks"
    config_jsonschema = copy.deepcopy(CONFIG_SCHEMA)  # singer-sdk extends it (target.py)
    default_sink_class = SourceDocumentsSink
    #: ``--format`` given on the command line (it wins over ``reconcile_format``).
    format_option: str | None = None

    def __init__(self, *, client: t.Any = None, **kwargs: t.Any) -> None:
        """Initialise; ``client`` replaces the real QuickBooks client (tests)."""
        super().__init__(**kwargs)
        self._client = client
        self._book: SourceBook | None = None
        self.report: Report | None = None
        output_format = self.format_option or str(self.config.get("reconcile_format") or "text")
        if output_format not in FORMATS:
            raise click.UsageError(f"setting `reconcile_format` is {output_format!r}; use one "
                                   f"of {', '.join(FORMATS)}")
        self.output_format = output_format

    def client(self) -> t.Any:
        """The QuickBooks client (shares the feeds' token store and request limits)."""
        if self._client is None:
            self._client = build_client(self.config, self.logger)
        return self._client

    def source_book(self) -> SourceBook:
        """The source's documents so far (built at the first record: dates need the zone)."""
        if self._book is None:
            zone = company_zone(self.config.get("timezone"), self.client().company_info())
            self.logger.info("Dates in the company's time zone %s (%s).", zone.name, zone.source)
            self._book = SourceBook(zone=zone.tz, rates=tax_code_table(self.config).keys())
        return self._book

    @override
    def _process_state_message(self, message_dict: dict) -> None:
        """Ignore the tap's bookmarks: no state is emitted, so every run reads in full."""

    @override
    def _write_state_message(self, state: dict) -> None:
        """Emit nothing: Meltano stores no state for this pipeline."""

    @override
    def process_endofpipe(self) -> None:
        super().process_endofpipe()
        book = self.source_book()
        found = read_documents(self.client(), since=book.first_date(), numbers=book.numbers())
        report = reconcile(book.documents(), found, book.unreadable)
        stats = getattr(self.client(), "stats", None)
        report.requests = int(stats()["requests"]) if callable(stats) else 0
        self.report = report
        text = render(report, self.output_format)
        path = self.config.get("reconcile_report_path")
        if path:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            Path(path).write_text(text, encoding="utf-8")
        sys.stderr.write(text)
        sys.stderr.flush()
        if not report.matches:
            raise DifferencesFoundError(verdict(report))

    @classmethod
    @override
    def get_singer_command(cls) -> click.Command:
        """The SDK's command, whose ``--format`` also takes the report's ``text`` or ``json``."""
        command = super().get_singer_command()
        for param in command.params:
            if param.name == "about_format":
                param.type = click.Choice([*FORMATS, "markdown"], case_sensitive=False)
                param.help = ("The report: text or json (wins over the reconcile_format "
                              "setting); with --about: json or markdown")
        return command

    @classmethod
    @override
    def invoke(cls, **kwargs: t.Any) -> None:  # type: ignore[override]
        """Run; a QuickBooks or settings error ends with one clear line, exit 1."""
        about_format = kwargs.get("about_format")
        if not kwargs.get("about") and about_format:
            if about_format.lower() not in FORMATS:
                raise click.UsageError(f"--format {about_format}: the report is "
                                       f"{' or '.join(FORMATS)}")
            cls.format_option = about_format.lower()
            kwargs["about_format"] = None
        try:
            super().invoke(**kwargs)
        except OPERATOR_ERRORS as error:
            raise RunStoppedError(f"{error} The reconcile stopped; nothing was written.") from None


if __name__ == "__main__":
    ReconcileTarget.cli()
