"""Alarm quality on a flaky network: real probe cycles through the real verdict, monitor, notices
and policy, against a simulated internet in a network namespace (tests/internet.py), with the
monitor's clock compressed.

    sudo .venv/bin/python benchmarks/bench_alarms.py [--cycles 300] [--only false,flap,outage]

Three tables, in Markdown:

1. False notices: every service healthy, while a share of connections or DNS queries fail at
   random (resets, hangs, unanswered or SERVFAIL queries, answers naming an address that refuses
   connections; everywhere, or on Meta's hosts only).
   Any "X is down" or "X is blocked" is false; so is "It's your connection" (the network works,
   only badly). Per simulated hour, and in all.
2. Flapping: Messenger down and up every 1, 2, 3 cycles or every 60, 120, 300 s for an hour,
   then up: notices per hour and per episode (new ones, and updates in place).
3. Outages of Messenger for 10 minutes: its front answering 503 (the hard outage), and its chat
   connections failing while its front answers (3 November 2021), from 20 onsets spread over one
   round of light cycles (one random onset in each twentieth): time to the notice, and to "back".

Time: the probe timeout is 1 s and the resolver's 1 s (glibc's default is 5 s and traywatch's
timeout 5 s: the same ratio), and each cycle's duration counts 5 times on the monitor's clock. The
monitor runs at its defaults (docs/notifications.md), or as ``--confirm N --recheck S`` say, to
compare; ``--full`` asks the full matrix every cycle (no light cycles while healthy). Needs root
(ip netns).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.internet import Internet, catalog, namespace  # noqa: E402
from traywatch import monitor, notices, tiers  # noqa: E402
from traywatch.catalog import Catalog  # noqa: E402
from traywatch.monitor import ChangeKind, MonitorSettings  # noqa: E402
from traywatch.notices import NoteKind, Notification  # noqa: E402
from traywatch.probes import ProbeSettings, run_cycle  # noqa: E402

TIMEOUT = 1.0
SCALE = 5.0  # one real second of a cycle is this many on the monitor's clock
LANES = 3
KINDS = {
    "resets": ("reset",),
    "hangs": ("hang",),
    "unanswered DNS": ("dns_drop",),
    "SERVFAIL DNS": ("dns_servfail",),
    "refusing addresses": ("refusing",),
    "all five mixed": ("reset", "hang", "dns_drop", "dns_servfail", "refusing"),
}
CONDITIONS = [
    ("resets", "all"),
    ("hangs", "all"),
    ("resets", "meta"),
    ("hangs", "meta"),
    ("unanswered DNS", "all"),
    ("SERVFAIL DNS", "all"),
    ("refusing addresses", "all"),
    ("all five mixed", "all"),
]
MESSENGER_WEB = "www.messenger.com"


@dataclass
class Lane:
    """One monitor, fed real cycles, with its own fake clock."""

    settings: MonitorSettings = field(default_factory=MonitorSettings)
    now: float = 1_000_000.0
    notes: list[Notification] = field(default_factory=list)
    changes: list[monitor.Change] = field(default_factory=list)
    cycles: int = 0
    light: int = 0  # of them light

    def __post_init__(self) -> None:
        self.start = self.now
        self.state = monitor.initial(self.settings, self.now)

    @property
    def hours(self) -> float:
        return (self.now - self.start) / 3600

    async def cycle(self, cat: Catalog, probe: ProbeSettings) -> list[monitor.Change]:
        """One cycle as the app runs it: light or full as the monitor says; a light one that
        sees trouble is followed at once by the full matrix (the next call, due now)."""
        self.now = max(self.now, self.state.next_check)
        self.state, token = monitor.start_cycle(self.state, self.now)
        light = self.state.running_light
        observations = await run_cycle(tiers.asked(self.state, cat), probe)
        self.now += observations.duration_ms / 1000 * SCALE
        verdict = tiers.judge(observations, light_cycle=light)
        self.state, changes = monitor.cycle_done(self.state, token, verdict, self.now)
        self.changes += changes
        self.notes += notices.build(changes, self.state)
        self.cycles += 1
        self.light += light
        return changes


def false_notices(
    net: Internet, cat: Catalog, probe: ProbeSettings, settings: MonitorSettings, *, cycles: int, kinds: set[str] | None
) -> list[str]:
    rows = [
        "| failing at random | where | rate | cycles (light) | simulated hours | false service/blocked notices "
        "| of them blocked | your-side notices | false service notices per hour |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for rate in (0.05, 0.10, 0.20):
        for kind, scope in CONDITIONS:
            if kinds and kind not in kinds:
                continue
            net.faults(rate, KINDS[kind], scope)
            lanes = [Lane(settings) for _ in range(LANES)]

            async def run(lane: Lane) -> None:
                for _ in range(cycles // LANES):
                    await lane.cycle(cat, probe)

            async def all_lanes(lanes: list[Lane] = lanes) -> None:
                await asyncio.gather(*(run(lane) for lane in lanes))

            asyncio.run(all_lanes())
            notes = [n for lane in lanes for n in lane.notes]
            service = [n for n in notes if n.kind is NoteKind.OUTAGE]
            blocked = [n for n in service if "blocked" in n.title]
            local = [n for n in notes if n.kind is NoteKind.LOCAL]
            hours = sum(lane.hours for lane in lanes)
            done = sum(lane.cycles for lane in lanes)
            light = sum(lane.light for lane in lanes)
            where = "everywhere" if scope == "all" else "Meta only"
            rows.append(
                f"| {kind} | {where} | {rate:.0%} | {done} ({light}) | {hours:.1f} | {len(service)} | {len(blocked)} "
                f"| {len(local)} | {len(service) / hours:.2f} |"
            )
            print(rows[-1], flush=True)
            for note in service + local:
                print(f"    false: {note.title} — {note.body}", flush=True)
    net.faults(0.0, ())
    return rows


def flapping(net: Internet, cat: Catalog, probe: ProbeSettings, settings: MonitorSettings) -> list[str]:
    rows = [
        "| Messenger down/up | simulated flapping | new notices | updates in place | recoveries "
        "| notices per hour of flapping | episodes |",
        "|---|---|---|---|---|---|---|",
    ]
    patterns: list[tuple[str, Callable[[int, float], bool]]] = [
        *((f"every {k} cycle{'s' if k > 1 else ''}", lambda i, t, k=k: (i // k) % 2 == 0) for k in (1, 2, 3)),
        *((f"every {s} s", lambda i, t, s=s: int(t // s) % 2 == 0) for s in (60, 120, 300)),
    ]
    for label, is_down in patterns:
        lane = Lane(settings)

        async def run(lane: Lane = lane, is_down: Callable[[int, float], bool] = is_down) -> None:
            index = 0
            while lane.now - lane.start < 3600:
                down = is_down(index, max(lane.now, lane.state.next_check) - lane.start)
                net.down({MESSENGER_WEB} if down else set())
                await lane.cycle(cat, probe)
                index += 1
            net.down(set())
            calm = lane.now
            while lane.now - calm < lane.settings.hold_down + 600:
                await lane.cycle(cat, probe)

        asyncio.run(run())
        kinds = [c.kind for c in lane.changes]
        new = sum(k in (ChangeKind.DOWN, ChangeKind.BLOCKED) for k in kinds)
        updates = kinds.count(ChangeKind.DROPPED_AGAIN)
        backs = kinds.count(ChangeKind.BACK)
        total = new + updates + backs
        rows.append(f"| {label} | 1 h | {new} | {updates} | {backs} | {total:.0f} | {new} |")
        print(rows[-1], flush=True)
    return rows


# The chat connections of Messenger failing while its site loads (3 November 2021).
MESSENGER_CHATS = {"gateway.messenger.com": 502, "web-chat-e2ee.facebook.com": 502}


def hard_outage(
    net: Internet, cat: Catalog, probe: ProbeSettings, settings: MonitorSettings, onsets: int = 20
) -> list[str]:
    rows = [
        "| outage (10 min), 20 onsets | median | maximum | detected |",
        "|---|---|---|---|",
    ]

    def front(down: bool) -> None:
        net.down({MESSENGER_WEB} if down else set())

    def chats(down: bool) -> None:
        net.chat_down(MESSENGER_CHATS if down else {})

    for label, fault in (("front answers 503", front), ("chat connections fail behind the front", chats)):
        rows += outage_rows(label, fault, cat, probe, settings, onsets=onsets)
        print("\n".join(rows[-2:]), flush=True)
    return rows


def outage_rows(
    label: str,
    fault: Callable[[bool], None],
    cat: Catalog,
    probe: ProbeSettings,
    settings: MonitorSettings,
    *,
    onsets: int,
) -> list[str]:
    rng = random.Random(20)
    detected: list[float] = []
    recovered: list[float] = []
    for j in range(onsets):
        lane = Lane(settings)
        fault(False)

        async def run(lane: Lane = lane, j: int = j) -> None:
            for _ in range(2):
                await lane.cycle(cat, probe)
            # Onsets spread over a whole round of light cycles, so each endpoint's turn is met.
            span = lane.settings.interval * (tiers.round_length(cat) if lane.settings.tiered else 1)
            onset = lane.now + (j + rng.random()) / onsets * span
            restore = onset + 600
            seen = False
            for _ in range(400):
                at = max(lane.now, lane.state.next_check)
                fault(onset <= at < restore)
                changes = await lane.cycle(cat, probe)
                for change in changes:
                    if change.kind is ChangeKind.DOWN and not seen:
                        seen = True
                        detected.append(lane.now - onset)
                    if change.kind is ChangeKind.BACK:
                        recovered.append(lane.now - restore)
                        return

        asyncio.run(run())
    fault(False)
    return [
        f'| {label}: onset to "Messenger is down" | {statistics.median(detected):.0f} s | {max(detected):.0f} s '
        f"| {len(detected)} of {onsets} |",
        f'| {label}: back to "Messenger is back" | {statistics.median(recovered):.0f} s '
        f"| {max(recovered):.0f} s | {len(recovered)} of {onsets} |",
    ]


def inside(args: argparse.Namespace) -> None:
    settings = MonitorSettings(confirm_failures=args.confirm, recheck=args.recheck, tiered=not args.full)
    folder = Path(tempfile.mkdtemp(prefix="traywatch-alarms-"))
    net = Internet(folder)
    os.environ["SSL_CERT_FILE"] = str(net.ca)
    cat = catalog()
    probe = ProbeSettings(timeout=TIMEOUT)
    only = set(args.only.split(","))
    tables = []
    try:
        if "false" in only:
            kinds = set(args.kinds.split(",")) if args.kinds else None
            tables.append(false_notices(net, cat, probe, settings, cycles=args.cycles, kinds=kinds))
        if "flap" in only:
            tables.append(flapping(net, cat, probe, settings))
        if "outage" in only:
            tables.append(hard_outage(net, cat, probe, settings))
    finally:
        net.close()
    print()
    for table in tables:
        print("\n".join(table), end="\n\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cycles", type=int, default=300, help="cycles per condition of table 1")
    parser.add_argument("--only", default="false,flap,outage", help="which tables: false, flap, outage")
    parser.add_argument("--kinds", default="", help=f"table 1's conditions, comma-separated: {', '.join(KINDS)}")
    defaults = MonitorSettings()
    parser.add_argument("--confirm", type=int, default=defaults.confirm_failures, help="failing samples to confirm")
    parser.add_argument("--recheck", type=float, default=defaults.recheck, help="seconds between re-checks")
    parser.add_argument("--full", action="store_true", help="every cycle the full matrix (no light cycles)")
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inside:
        inside(args)
        return
    if os.geteuid() != 0:
        sys.exit("bench_alarms.py needs root: it makes a network namespace")
    with namespace(dns_timeout=int(TIMEOUT)) as name:
        command = [sys.executable, str(Path(__file__).resolve()), "--inside", "--cycles", str(args.cycles)]
        command += ["--only", args.only, "--kinds", args.kinds, "--confirm", str(args.confirm)]
        command += ["--recheck", str(args.recheck), *(["--full"] if args.full else [])]
        subprocess.run(["ip", "netns", "exec", name, *command], check=True, cwd=ROOT)


if __name__ == "__main__":
    main()
