"""Bytes on the wire: what traywatch's checks cost the network, counted at the interface.

    sudo .venv/bin/python benchmarks/bench_wire.py

Inside a network namespace whose loopback carries the simulated internet (tests/internet.py):
Meta's fronts and edges, the controls and the DoH resolvers, with a real DNS server as the
system resolver. Every packet of a check crosses that loopback once, so the interface's
transmit counter is the traffic both ways, DNS included. Printed, in Markdown:

1. Each endpoint asked alone, its TLS session resumed: what each probe costs (the measurement
   the light cycle's choice rests on, see traywatch/tiers.py).
2. A light cycle (what is asked while everything is healthy), over a whole round of them, and
   the full matrix, with the web fronts answering small pages and 300 KB pages (what real home
   pages weigh).
3. The confirmation of a hard outage (Messenger's front answering 503): the light cycle that
   sees it, then three full cycles.
4. A day at the defaults (one cycle a minute) and on a metered connection (one every 5 min):
   one full picture at start, then light cycles.
5. The baseline, measured in the same run: NetworkManager's own connectivity check, one request.

The simulated certificates (trustme: one issuer, ~1 KB) are smaller than real chains (3–5 KB),
so every TLS handshake here costs a few KB less than on the internet; the figures are a floor for
handshakes and exact for everything else.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
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
    import httpx

    from tests.internet import Internet, catalog
    from traywatch import tiers
    from traywatch.catalog import Catalog
    from traywatch.model import ProbeSettings
    from traywatch.probes import run_cycle

    with tempfile.TemporaryDirectory() as folder:
        net = Internet(Path(folder))
        os.environ["SSL_CERT_FILE"] = str(net.ca)
        settings = ProbeSettings(timeout=5.0)
        cat = catalog()
        rounds = tiers.round_length(cat)

        def cycle_bytes(asked: Catalog) -> int:
            before = _tx()
            asyncio.run(run_cycle(asked, settings))
            return _tx() - before

        def alone(asked: Catalog) -> float:
            cycle_bytes(asked)  # its TLS session, for the resumed figure
            return statistics.median(cycle_bytes(asked) for _ in range(5))

        cycle_bytes(cat)  # warm: the first cycle also loads modules and the CA
        print("| endpoint (asked alone, session resumed) | role | bytes |")
        print("|---|---|---|")
        for service in cat.services:
            for endpoint in service.endpoints:
                one = Catalog((dataclasses.replace(service, endpoints=(endpoint,)),), (), ())
                print(f"| {service.id} {endpoint.id}: {endpoint.url} | {endpoint.role.value} | {alone(one):.0f} |")
        for control in cat.controls:
            one = Catalog((), (control,), ())
            print(f"| control {control.id}: {control.endpoint.url} | control | {alone(one):.0f} |")
        print(flush=True)

        def light_round() -> list[int]:
            return [cycle_bytes(tiers.light(cat, turn)) for turn in range(rounds) for _ in range(2)]

        def full() -> float:
            return statistics.median(cycle_bytes(cat) for _ in range(cycles))

        figures = {"small full": full(), "small light": light_round()}
        net.page_bytes(PAGE)
        figures["big full"] = full()
        figures["big light"] = light_round()
        net.page_bytes(0)
        net.down({"www.messenger.com"})
        # The light cycle that sees it, then the full matrix three times (the confirmation).
        outage = cycle_bytes(tiers.light(cat, 0)) + sum(cycle_bytes(cat) for _ in range(3))
        net.down(set())
        before = _tx()
        gnome = next(c for c in cat.controls if c.id == "gnome")
        httpx.get(gnome.endpoint.url, timeout=5)
        nm = _tx() - before
        net.close()

    def kb(value: float) -> str:
        return f"{value / 1024:.1f} KB"

    small, big = figures["small light"], figures["big light"]
    assert isinstance(small, list) and isinstance(big, list)
    light = statistics.mean(big)
    # A day at the defaults: one full picture when the app starts, then light cycles while healthy.
    day = float(figures["big full"]) + light * (DAY - 1)
    metered = float(figures["big full"]) + light * (DAY / 5 - 1)
    nm_day = nm * DAY / 5  # NetworkManager checks every 5 minutes
    print(f"A round of light cycles is {rounds} cycles (one endpoint in turn per cycle).")
    print()
    print("| what | bytes | baseline: NetworkManager's check | ratio |")
    print("|---|---|---|---|")
    print(
        f"| a light cycle, small pages: mean (max) over a round | {kb(statistics.mean(small))} ({kb(max(small))}) "
        f"| {kb(nm)} | {statistics.mean(small) / nm:.0f}× |"
    )
    print(
        f"| a light cycle, 300 KB pages: mean (max) over a round | {kb(light)} ({kb(max(big))}) "
        f"| {kb(nm)} | {light / nm:.0f}× |"
    )
    print(f"| the full matrix, small pages | {kb(float(figures['small full']))} | – | – |")
    print(f"| the full matrix, 300 KB pages | {kb(float(figures['big full']))} | – | – |")
    print(f"| a hard outage: the light cycle that sees it and 3 full cycles | {kb(outage)} | – | – |")
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
