"""Command line: run the emulator as a process until SIGTERM or SIGINT."""

from __future__ import annotations

import argparse
import sys

from emulator_support.serving import serve_until_signal

from myfulfillment_emulator.server import MyFulfillmentEmulator


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Read the command line options."""
    parser = argparse.ArgumentParser(prog="myfulfillment-emulator",
                                     description="Offline emulator of the myFulfillment API.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8764, help="0 picks a free port")
    parser.add_argument("--dataset", default="demo", help="'demo' or 'scale:N'")
    parser.add_argument("--username", default="demo")
    parser.add_argument("--password", default="demo-password")
    parser.add_argument("--rate-limit-per-minute", type=int, default=None)
    parser.add_argument("--token-ttl", type=float, default=3600.0, help="seconds")
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--time-scale", type=float, default=1.0,
                        help="emulated seconds per real second (speeds up windows and TTLs)")
    parser.add_argument("--verbose", action="store_true", help="log each request to stderr")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Start serving, print the listening line, stop cleanly on a signal."""
    args = parse_args(argv)
    try:
        emulator = MyFulfillmentEmulator(
            host=args.host, port=args.port, dataset=args.dataset, username=args.username,
            password=args.password, token_ttl_seconds=args.token_ttl,
            rate_limit_per_minute=args.rate_limit_per_minute, latency_ms=args.latency_ms,
            time_scale=args.time_scale, verbose=args.verbose,
        ).start()
    except (OSError, ValueError) as error:
        print(f"myfulfillment-emulator: {error}", file=sys.stderr)
        return 2
    return serve_until_signal(emulator, "myFulfillment emulator")


if __name__ == "__main__":
    sys.exit(main())
