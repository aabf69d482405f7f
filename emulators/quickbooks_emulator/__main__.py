"""Command line: ``quickbooks-emulator --host 127.0.0.1 --port 8765 ...``.

Why: the demo and the benchmark run the emulator as a separate process (as the real
service would be); it prints one line with its URL and stops cleanly on SIGTERM/SIGINT.
"""

from __future__ import annotations

import argparse
import sys

from emulator_support.serving import serve_until_signal

from .emulator import QuickBooksEmulator


def _limit(text: str) -> int | None:
    """Parse a limit; ``none``/``0`` disables it."""
    if text.lower() in ("none", "off", "0"):
        return None
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"limit must be positive or 'none', got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The CLI's options."""
    parser = argparse.ArgumentParser(prog="quickbooks-emulator",
                                     description="Strict offline QuickBooks Online emulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--realm-id", default="9130350000000001")
    parser.add_argument("--client-id", default="demo-client-id")
    parser.add_argument("--client-secret", default="demo-client-secret")
    parser.add_argument("--initial-refresh-token", default="demo-refresh-token")
    parser.add_argument("--access-token-ttl", type=float, default=3600.0)
    parser.add_argument("--time-scale", type=float, default=1.0)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--per-minute", type=_limit, default=500)
    parser.add_argument("--per-second", type=_limit, default=10)
    parser.add_argument("--batch-per-minute", type=_limit, default=40)
    parser.add_argument("--max-concurrent", type=_limit, default=10)
    parser.add_argument("--country", default="FR")
    parser.add_argument("--language", choices=("en", "fr"), default=None,
                        help="language of Fault texts (default: fr for a FR company, else en)")
    parser.add_argument("--multicurrency", action="store_true",
                        help="turn multicurrency on in the company's preferences")
    parser.add_argument("--bare", action="store_true",
                        help="a new company as Intuit creates it: no Shipping/Adjustment "
                             "items, vendor or employee; a default discount account")
    parser.add_argument("--no-rotate", action="store_true",
                        help="refresh returns the same refresh token (no rotation)")
    parser.add_argument("--dataset", default="empty", choices=("empty", "demo"),
                        help="starting data: 'demo' adds a customer made inactive by the "
                             "accountant, who buys again in the demo shop")
    parser.add_argument("--state-file", default=None,
                        help="JSON file keeping entities and refresh tokens across restarts")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run until SIGTERM/SIGINT."""
    args = build_parser().parse_args(argv)
    emulator = QuickBooksEmulator(
        host=args.host, port=args.port, realm_id=args.realm_id, client_id=args.client_id,
        client_secret=args.client_secret, initial_refresh_token=args.initial_refresh_token,
        access_token_ttl=args.access_token_ttl, rotate_refresh_tokens=not args.no_rotate,
        per_minute=args.per_minute, per_second=args.per_second,
        batch_per_minute=args.batch_per_minute, max_concurrent=args.max_concurrent,
        time_scale=args.time_scale, latency_ms=args.latency_ms, country=args.country,
        language=args.language, multicurrency=args.multicurrency, bare=args.bare,
        state_file=args.state_file, dataset=args.dataset)
    return serve_until_signal(emulator.start(), "QuickBooks emulator")


if __name__ == "__main__":
    sys.exit(main())
