"""`python -m sandbox.emulator --port N`: run the emulator in the foreground."""
from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time

from .core import check_bind


def _faults(value: str):
    text = value.strip()
    if not text.startswith(("{", "[")):
        with open(value, encoding="utf-8") as fh:
            text = fh.read()
    return json.loads(text)


def main(argv: list[str] | None = None) -> int:
    t0 = time.monotonic()
    parser = argparse.ArgumentParser(prog="python -m sandbox.emulator", description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("EMULATOR_PORT", "4566")))
    parser.add_argument("--host", default="127.0.0.1", help="bind address (loopback or the project's docker gateway)")
    parser.add_argument("--extra-host", action="append", default=[], metavar="IP",
                        help="also listen on this address (same port), e.g. a docker network gateway")
    parser.add_argument("--seed", type=int, default=None, help="seed for ids and fault injection")
    parser.add_argument("--faults", type=_faults, default=None, metavar="JSON|FILE",
                        help='fault rules, e.g. \'{"seed": 1, "rules": [{"service": "ecs", "throttle_rate": 0.2}]}\'')
    parser.add_argument("--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)
    try:
        for host in (args.host, *args.extra_host):
            check_bind(host)
    except ValueError as exc:
        print(f"emulator: {exc}", file=sys.stderr)
        return 2
    from .server import EmulatorServer, check_moto_version  # imports moto: after the cheap checks

    check_moto_version()
    try:
        server = EmulatorServer(port=args.port, host=args.host, extra_hosts=args.extra_host, seed=args.seed,
                                faults=args.faults, verbose=args.verbose).start()
    except (ValueError, OSError) as exc:
        print(f"emulator: {exc}", file=sys.stderr)
        return 2
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    print(f"ready on {server.url}", flush=True)
    for url in server.urls[1:]:
        print(f"also listening on {url}", flush=True)
    print(f"started in {time.monotonic() - t0:.2f}s", file=sys.stderr, flush=True)
    done.wait()
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
