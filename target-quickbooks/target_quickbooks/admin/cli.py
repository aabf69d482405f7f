"""``target-quickbooks-admin``: the operator commands' command line."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from target_quickbooks.accounts import ConfigurationError
from target_quickbooks.admin.authorize import DEFAULT_REDIRECT_URI, AuthorizeError, authorize
from target_quickbooks.admin.check import check
from target_quickbooks.admin.config import AdminConfigError, load_config, project_root, require
from target_quickbooks.admin.report import ReportError, build_report, read_states
from target_quickbooks.admin.report_view import (
    DEFAULT_LIMIT,
    STATUSES,
    Filters,
    View,
    check_feed,
    environment_of,
    parse_statuses,
    render_table,
)
from target_quickbooks.qbo import QuickBooksError

_config_option = click.option(
    "--config", "config_files", multiple=True, type=click.Path(exists=True, path_type=Path),
    help="Target config JSON (default: TARGET_QUICKBOOKS_* env vars, as Meltano sets them).",
)


@click.group()
def main() -> None:
    """Operator commands for target-quickbooks."""


@main.command("authorize")
@_config_option
@click.option("--redirect-uri", default=DEFAULT_REDIRECT_URI, show_default=True,
              help="Redirect URI registered on the Intuit app (a loopback URL).")
@click.option("--no-browser", is_flag=True,
              help="Do not open a browser: print the URL, then paste back the URL the "
                   "browser was redirected to (headless servers).")
@click.option("--timeout", default=300.0, show_default=True, help="Seconds to wait.")
def authorize_command(config_files: tuple[Path, ...], redirect_uri: str, no_browser: bool,
                      timeout: float) -> None:
    """Connect a QuickBooks company: consent URL, local redirect, stored refresh token."""
    config = load_config(list(config_files))
    try:
        require(config, "client_id", "client_secret")
        authorize(config, redirect_uri=redirect_uri, open_browser=not no_browser,
                  timeout=timeout, echo=click.echo)
    except (AdminConfigError, AuthorizeError, QuickBooksError) as exc:
        raise click.ClickException(str(exc)) from None


@main.command("check")
@_config_option
@click.option("--state-file", "state_files", multiple=True,
              type=click.Path(exists=True, path_type=Path),
              help="Read these `meltano state get` outputs for the VAT rates documents carried "
                   "(default under `meltano invoke`: ask meltano).")
def check_command(config_files: tuple[Path, ...], state_files: tuple[Path, ...]) -> None:
    """Connect, show the company and validate every setting a run needs."""
    config = load_config(list(config_files))
    keys = [key for path in config_files
            for key in json.loads(path.read_text(encoding="utf-8"))]
    try:
        require(config)
        problems = check(config, echo=click.echo, states=_check_states(state_files),
                         meltano_yml=project_root() / "meltano.yml", config_keys=keys)
    except (AdminConfigError, ConfigurationError, QuickBooksError) as exc:
        raise click.ClickException(str(exc)) from None
    if problems:
        sys.exit(1)


def _check_states(state_files: tuple[Path, ...]) -> dict[str, Any] | None:
    """The feeds' states: from files, else from meltano when run by it; None when unread."""
    if state_files:
        return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in state_files}
    if not os.environ.get("MELTANO_PROJECT_ROOT"):
        return None  # not under `meltano invoke`: no project whose state to read
    try:
        return read_states()
    except (ReportError, OSError) as exc:
        click.echo(f"INFO  Meltano state: not read ({exc})")
        return None


@main.command("report")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
@click.option("--state-file", "state_files", multiple=True,
              type=click.Path(exists=True, path_type=Path),
              help="Read these `meltano state get` outputs instead of asking meltano.")
@click.option("--status", "statuses", multiple=True, metavar="STATUS",
              help=f"Only rows with this status (repeat, or comma-separated): "
                   f"{', '.join(STATUSES)}.")
@click.option("--sku", default=None, metavar="SKU",
              help="Only this SKU, or the SKUs matching a glob (a prefix: 'FEEL-*').")
@click.option("--feed", default=None, metavar="FEED",
              help="Only what this feed wrote: its job name (create-products, update-products, "
                   "export-customers, export-invoices, export-credit-memos) or a glob.")
@click.option("--limit", type=click.IntRange(min=0), default=None,
              help=f"Rows per detail table (table default {DEFAULT_LIMIT}; JSON: all).")
@click.option("--all", "show_all", is_flag=True, help="Every row, however many.")
@_config_option
def report_command(fmt: str, state_files: tuple[Path, ...], statuses: tuple[str, ...],  # noqa: PLR0917 (one per option)
                   sku: str | None, feed: str | None, limit: int | None, show_all: bool,
                   config_files: tuple[Path, ...]) -> None:
    """Summary, then products ↔ QuickBooks Ids, each feed's last result, records waiting.

    Read from Meltano state; the environment (sandbox or production, realm) from the
    target's settings.
    """
    try:
        filters = Filters(parse_statuses(statuses), sku, feed)
        if state_files:
            states = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in state_files}
        else:
            states = read_states()
        report = build_report(states)
        check_feed(filters, report)
    except ReportError as exc:
        raise click.ClickException(str(exc)) from None
    if show_all:
        limit = None
    elif limit is None and fmt == "table":
        limit = DEFAULT_LIMIT
    environment = environment_of(load_config(list(config_files)), report,
                                 os.environ.get("MELTANO_ENVIRONMENT"))
    view = View(report, environment, filters, limit)
    if fmt == "json":
        click.echo(json.dumps(view.as_dict(), indent=2, ensure_ascii=False))
    else:
        click.echo(render_table(report, view))
