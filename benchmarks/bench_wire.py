"""Bytes on the wire: what traywatch's checks cost the network, counted at the interface.

    sudo .venv/bin/python benchmarks/bench_wire.py

Inside a network namespace whose loopback carries the simulated internet (tests/internet.py):
Meta's fronts and edges, the controls and the DoH resolvers, with a real DNS server as the
system resolver. Every packet of a check crosses that loopback once, so the interface's
transmit counter is the traffic both ways, DNS included. Printed, in Markdown:

1. A healthy cycle, with the web fronts answering small pages and 300 KB pages (what real home
   pages weigh): bytes per cycle.
2. The confirmation of a hard outage (Messenger's front answering 503, three cycles).
3. A day at the defaults (one cycle a minute) and on a metered connection (one every 5 min).
4. The baseline, measured in the same run: NetworkManager's own connectivity check, one request.

The simulated certificates (trustme: one issuer, ~1 KB) are smaller than real chains (3–5 KB),
so every TLS handshake here costs a few KB less than on the internet; the figures are a floor for
handshakes and exact for everything else.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PAGE = 300 * 1024
CYCLES = 10
DAY = 24 * 60  # minutes


def _tx() -> int:
    return int(Path("/sys/class/net/lo/statistics/tx_bytes").read_text())


def inside(cycles: int) -> None:
    from tests.internet import Internet, catalog
    from traywatch.model import ProbeSettings
    from traywatch.probes import run_cycle

    with tempfile.TemporaryDirectory() as folder:
        net = Internet(Path(folder))
        os.environ["SSL_CERT_FILE"] = str(net.ca)
        settings = ProbeSettings(timeout=5.0)
        cat = catalog()

        def cycle_bytes() -> int:
            before = _tx()
            asyncio.run(run_cycle(cat, settings))
            return _tx() - before

        cycle_bytes()  # warm: the first cycle also loads modules and the CA
        small = statistics.median(cycle_bytes() for _ in range(cycles))
        net.page_bytes(PAGE)
        big = statistics.median(cycle_bytes() for _ in range(cycles))
        net.page_bytes(0)
        net.down({"www.messenger.com"})
        outage = sum(cycle_bytes() for _ in range(3))
        net.down(set())
        before = _tx()
        gnome = next(c for c in cat.controls if c.id == "gnome")
        import httpx

        httpx.get(gnome.endpoint.url, timeout=5)
        nm = _tx() - before
        net.close()

    day = big * DAY
    metered = big * DAY / 5
    nm_day = nm * DAY / 5  # NetworkManager checks every 5 minutes
    print("| what | bytes | baseline: NetworkManager's check | ratio |")
    print("|---|---|---|---|")
    print(f"| a healthy cycle, small pages | {small / 1024:.1f} KB | {nm / 1024:.2f} KB | {small / nm:.0f}× |")
    print(f"| a healthy cycle, 300 KB pages | {big / 1024:.1f} KB | {nm / 1024:.2f} KB | {big / nm:.0f}× |")
    print(f"| confirming a hard outage (3 cycles) | {outage / 1024:.1f} KB | – | – |")
    print(
        f"| a day at the defaults (1 cycle a minute, 300 KB pages) | {day / 2**20:.1f} MB "
        f"| {nm_day / 2**20:.2f} MB a day | {day / nm_day:.0f}× |"
    )
    print(f"| a day on a metered connection (1 cycle in 5 min) | {metered / 2**20:.1f} MB | – | – |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=CYCLES)
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inside:
        inside(args.cycles)
        return
    if os.geteuid() != 0:
        sys.exit("bench_wire needs root: it makes a network namespace")
    from tests.internet import namespace

    with namespace(dns_timeout=5) as name:
        command = [sys.executable, str(Path(__file__).resolve()), "--inside", "--cycles", str(args.cycles)]
        subprocess.run(["ip", "netns", "exec", name, *command], check=True, cwd=ROOT)


if __name__ == "__main__":
    main()
