"""Alarm quality on a flaky network: real probe cycles through the real verdict, monitor, notices
and policy, against a simulated internet in a network namespace (tests/internet.py), with the
monitor's clock compressed.

    sudo .venv/bin/python benchmarks/bench_alarms.py [--cycles 300] [--only false,flap,outage,loss,ipv6,dropouts]

Six tables, in Markdown:

1. False notices: every service healthy, while a share of connections or DNS queries fail at
   random (resets, hangs, unanswered or SERVFAIL queries, answers naming an address that refuses
   connections; everywhere, or on Meta's hosts only).
   Any "X is down" or "X is blocked" is false; so is "It's your connection" (the network works,
   only badly). Per simulated hour, and in all.
2. Flapping: Messenger down and up every 1, 2, 3 cycles or every 60, 120, 300 s for an hour,
   then up: notices per hour and per episode (new ones, and updates in place).
3. Outages of Messenger for 10 minutes: its front answering 503 (the hard outage), its front
   taking requests and never answering them (a stalled back end: every probe of it runs to the
   timeout), and its chat connections failing while its front answers (3 November 2021), from
   20 onsets spread over one
   round of light cycles (one random onset in each twentieth): time to the notice, and to "back".

4. Packet loss (``--only loss``, not run by default: it runs in real time): every service
   healthy while a share of all IP packets is lost, both ways, DNS included (nftables drops them
   as they arrive, so neither end is told). TCP's and the resolver's own timers cannot be sped up,
   so this table runs at the real timeouts (probe 5 s, resolver 5 s) and a cycle's duration counts
   once. "X is down" or "X is blocked" is false; "Your connection is unstable" is what the user
   should hear once the loss is bad enough, and is counted apart.
5. IPv6 announced but lost (``--only ipv6``): every name also has an IPv6 address, and the
   namespace an IPv6 route into nothing, as when a router hands out IPv6 its uplink does not
   carry. A browser gets through on IPv4 a quarter of a second later, so any notice is false,
   "It's your connection" included; so is the tray putting it on either side.
6. Dropouts (``--only dropouts``, in real time like table 4): every service healthy while the
   link loses every packet for a few seconds at a time, as wifi does when it roams or a
   microwave oven runs. A third of the checks meet one, starting at any moment from a few
   seconds before the check to a second into it, when some probes have answered and others are
   on the way. "X is down" or "X is blocked" is false, and so is the tray putting it on Meta:
   in those seconds it is the user's link that failed.

Time (tables 1–3): the probe timeout is 1 s and the resolver's 1 s (glibc's default is 5 s and
traywatch's timeout 5 s: the same ratio), and each cycle's duration counts 5 times on the monitor's
clock. The monitor runs at its defaults (docs/notifications.md), or as ``--confirm N --recheck S``
say, to compare; ``--full`` asks the full matrix every cycle (no light cycles while healthy). Needs
root (ip netns) and, for table 4, nftables.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.internet import VOID6, Internet, catalog, namespace  # noqa: E402
from traywatch import monitor, notices, tiers  # noqa: E402
from traywatch.catalog import Catalog  # noqa: E402
from traywatch.monitor import ChangeKind, MonitorSettings  # noqa: E402
from traywatch.notices import NoteKind, Notification  # noqa: E402
from traywatch.probes import ProbeSettings, run_cycle  # noqa: E402
from traywatch.verdict import Side  # noqa: E402
from traywatch.view import Display, view  # noqa: E402

TIMEOUT = 1.0
SCALE = 5.0  # one real second of a cycle is this many on the monitor's clock
REAL_TIMEOUT = 5.0  # traywatch's and glibc's defaults, for the packet-loss table
LOSS_RATES = (0.02, 0.05, 0.10, 0.20)
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
    scale: float = SCALE
    durations: list[float] = field(default_factory=list)  # real seconds a cycle took
    verdicts: Counter[str] = field(default_factory=Counter)  # what the full cycles concluded
    blamed: int = 0  # cycles after which the tray put the trouble on Meta's side
    blamed_you: int = 0  # ...or on your side
    named: int = 0  # cycles after which it named a Meta service as having failed a check, no more

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
        self.durations.append(observations.duration_ms / 1000)
        self.now += observations.duration_ms / 1000 * self.scale
        verdict = tiers.judge(observations, light_cycle=light)
        if verdict is not None and not light:
            self.verdicts[verdict.kind.value] += 1
        self.state, changes = monitor.cycle_done(self.state, token, verdict, self.now)
        self.changes += changes
        self.notes += notices.build(changes, self.state)
        shown = view(self.state)
        current = self.state.verdict
        side = current.kind.side if current is not None else None
        own_words = current is not None and current.headline in shown.headline
        # The icon, or a Meta-side verdict's own words beside any icon but your side's ("It's not
        # your wifi — …", "Checking again: Messenger is slow"); "Checking again: Messenger failed a
        # check" says what was seen and whose fault it is not yet.
        on_meta = side is Side.THEM and own_words
        self.blamed += shown.display in (Display.DOWN, Display.DEGRADED) or (
            on_meta and shown.display in (Display.CHECKING, Display.ALL_CLEAR)
        )
        self.named += side is Side.THEM and not own_words and shown.display is Display.CHECKING
        on_you = side is Side.YOU
        self.blamed_you += shown.display in (Display.YOUR_SIDE, Display.CAPTIVE) or (
            on_you and shown.display is Display.CHECKING
        )
        self.cycles += 1
        self.light += light
        return changes


def side_by_side(lanes: list[Lane], cat: Catalog, probe: ProbeSettings, *, cycles: int) -> list[Lane]:
    """``cycles`` cycles shared among the lanes, run at the same time."""

    async def run(lane: Lane) -> None:
        for _ in range(cycles // len(lanes)):
            await lane.cycle(cat, probe)

    async def all_lanes() -> None:
        await asyncio.gather(*(run(lane) for lane in lanes))

    asyncio.run(all_lanes())
    return lanes


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
            lanes = side_by_side([Lane(settings) for _ in range(LANES)], cat, probe, cycles=cycles)
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


def _lose(rate: float) -> None:
    """Drop ``rate`` of the packets arriving anywhere in this namespace: on its loopback that is
    every packet of both ends, and neither sender is told (as on a lossy radio link)."""
    subprocess.run(["nft", "flush", "ruleset"], check=True)
    if rate:
        share = f"numgen random mod 10000 < {round(rate * 10000)} " if rate < 1 else ""
        rules = f"""table inet loss {{
  chain input {{
    type filter hook input priority 0; policy accept;
    counter
    {share}counter drop
  }}
}}"""
        subprocess.run(["nft", "-f", "-"], input=rules, text=True, check=True)


def _lost() -> float:
    """The share of packets dropped since ``_lose``, from its counters."""
    listing = subprocess.run(["nft", "-j", "list", "ruleset"], capture_output=True, text=True, check=True).stdout
    counted = [
        expression["counter"]["packets"]
        for item in json.loads(listing)["nftables"]
        for expression in item.get("rule", {}).get("expr", [])
        if "counter" in expression
    ]
    return counted[1] / counted[0] if len(counted) == 2 and counted[0] else 0.0


def _titles(notes: list[Notification]) -> str:
    """The notices' titles, counted: "3× Your connection is unstable", or "0"."""
    return ", ".join(f"{count}× {title}" for title, count in Counter(n.title for n in notes).items()) or "0"


def _concluded(lanes: list[Lane]) -> str:
    """What the lanes' full cycles concluded, most often first: "118 unstable, 27 all clear"."""
    verdicts = sum((lane.verdicts for lane in lanes), Counter[str]())
    return ", ".join(f"{count} {kind.replace('_', ' ')}" for kind, count in verdicts.most_common())


def packet_loss(net: Internet, cat: Catalog, settings: MonitorSettings, *, cycles: int) -> list[str]:
    probe = ProbeSettings(timeout=REAL_TIMEOUT)
    rows = [
        "| packets lost | measured | cycles (light) | simulated hours | false service/blocked notices "
        "| your-side notices | other notices | full cycles' verdicts | the tray put it on Meta after "
        "| named a service failing a check after | cycle time: median / 95th percentile / max |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for rate in LOSS_RATES:
        _lose(rate)
        lanes = side_by_side([Lane(settings, scale=1.0) for _ in range(LANES)], cat, probe, cycles=cycles)
        measured = _lost()
        notes = [n for lane in lanes for n in lane.notes]
        service = [n for n in notes if n.kind is NoteKind.OUTAGE]
        local = [n for n in notes if n.kind is NoteKind.LOCAL]
        other = [n for n in notes if n.kind not in (NoteKind.OUTAGE, NoteKind.LOCAL)]
        said, also, concluded = _titles(local), _titles(other), _concluded(lanes)
        durations = sorted(d for lane in lanes for d in lane.durations)
        p95 = durations[int(0.95 * (len(durations) - 1))]
        rows.append(
            f"| {rate:.0%} | {measured:.1%} | {sum(lane.cycles for lane in lanes)} "
            f"({sum(lane.light for lane in lanes)}) | {sum(lane.hours for lane in lanes):.1f} | {len(service)} "
            f"| {said} | {also} | {concluded} | {sum(lane.blamed for lane in lanes)} cycles "
            f"| {sum(lane.named for lane in lanes)} cycles "
            f"| {statistics.median(durations):.2f} / {p95:.2f} / {durations[-1]:.2f} s |"
        )
        print(rows[-1], flush=True)
        for note in service + local + other:
            print(f"    {note.title} — {note.body}", flush=True)
    _lose(0.0)
    return rows


DROPOUTS = (2.0, 5.0, 10.0)  # seconds of silence
DROPOUT_SHARE = 1 / 3  # of the checks, one begins near their start


def dropouts(net: Internet, cat: Catalog, settings: MonitorSettings, *, cycles: int) -> list[str]:
    """One monitor a row, its cycles met by dropouts placed on its own clock: a dropout that
    outlasts a check is still on for the re-check five seconds later, and over by the next
    minute's check. Real time runs at the clock's pace within a cycle, as in table 4."""
    probe = ProbeSettings(timeout=REAL_TIMEOUT)
    rows = [
        "| dropout | cycles (light) | met by a dropout | false service/blocked notices | your-side notices "
        "| full cycles' verdicts | the tray put it on Meta after | named a service failing a check after "
        "| on your side after |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    rng = random.Random(6)
    for length in DROPOUTS:
        lane = Lane(settings, scale=1.0)
        met = asyncio.run(_through_dropouts(lane, cat, probe, length, rng=rng, cycles=cycles))
        _lose(0.0)
        service = [n for n in lane.notes if n.kind is NoteKind.OUTAGE]
        local = [n for n in lane.notes if n.kind is not NoteKind.OUTAGE]
        rows.append(
            f"| {length:g} s | {lane.cycles} ({lane.light}) | {met} | {len(service)} | {_titles(local)} "
            f"| {_concluded([lane])} | {lane.blamed} cycles | {lane.named} cycles | {lane.blamed_you} cycles |"
        )
        print(rows[-1], flush=True)
        for note in lane.notes:
            print(f"    {note.title} — {note.body}", flush=True)
    return rows


async def _through_dropouts(
    lane: Lane, cat: Catalog, probe: ProbeSettings, length: float, *, rng: random.Random, cycles: int
) -> int:
    """Runs ``cycles`` cycles, a share of them met by a silence of ``length`` seconds; returns
    how many a silence overlapped."""
    silences: list[tuple[float, float]] = []  # on the lane's clock
    loop = asyncio.get_running_loop()
    met = 0
    for _ in range(cycles):
        start = max(lane.now, lane.state.next_check)
        if rng.random() < DROPOUT_SHARE:
            begins = start + rng.uniform(-length, 1.0)
            silences.append((begins, begins + length))
        began = loop.time()
        follower = asyncio.ensure_future(_silent_while(silences, start, began))
        try:
            await lane.cycle(cat, probe)
        finally:
            follower.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await follower  # a failed nft command is raised here, not lost with the task
        end = start + loop.time() - began
        met += any(a < end and b > start for a, b in silences)
    return met


async def _silent_while(silences: list[tuple[float, float]], start: float, began: float) -> None:
    """Drops every packet while the lane's clock (``start`` at the loop time ``began``, running
    at the loop's pace) is inside a silence."""
    loop = asyncio.get_running_loop()
    dropping = None
    while True:
        now = start + loop.time() - began
        inside = any(a <= now < b for a, b in silences)
        if inside != dropping:
            _lose(1.0 if inside else 0.0)
            dropping = inside
        edges = [t for a, b in silences for t in (a, b) if t > now]
        await asyncio.sleep(min(edges, default=now + 1.0) - now)


def ipv6_lost(
    net: Internet, cat: Catalog, probe: ProbeSettings, settings: MonitorSettings, *, cycles: int
) -> list[str]:
    rows = [
        "| IPv6 | cycles (light) | simulated hours | service/blocked notices | your-side notices "
        "| full cycles' verdicts | the tray put it on your side after | on Meta after | cycle: median / max |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for label, address in (("none (IPv4 only)", ""), ("announced, every packet lost", VOID6)):
        net.aaaa(address)
        lanes = side_by_side([Lane(settings) for _ in range(LANES)], cat, probe, cycles=cycles)
        notes = [n for lane in lanes for n in lane.notes]
        service = [n for n in notes if n.kind is NoteKind.OUTAGE]
        local = [n for n in notes if n.kind is not NoteKind.OUTAGE]
        said, concluded = _titles(local), _concluded(lanes)
        durations = sorted(d for lane in lanes for d in lane.durations)
        rows.append(
            f"| {label} | {sum(lane.cycles for lane in lanes)} ({sum(lane.light for lane in lanes)}) "
            f"| {sum(lane.hours for lane in lanes):.1f} | {len(service)} | {said} | {concluded} "
            f"| {sum(lane.blamed_you for lane in lanes)} cycles | {sum(lane.blamed for lane in lanes)} cycles "
            f"| {statistics.median(durations):.2f} / {durations[-1]:.2f} s |"
        )
        print(rows[-1], flush=True)
    net.aaaa("")
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

    def stalled(down: bool) -> None:
        net.hang({MESSENGER_WEB} if down else set())

    outages = (
        ("front answers 503", front),
        ("front takes requests and never answers", stalled),
        ("chat connections fail behind the front", chats),
    )
    for label, fault in outages:
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
        if "loss" in only:
            tables.append(packet_loss(net, cat, settings, cycles=args.cycles))
        if "dropouts" in only:
            tables.append(dropouts(net, cat, settings, cycles=args.cycles))
        if "ipv6" in only:
            tables.append(ipv6_lost(net, cat, probe, settings, cycles=args.cycles))
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
    parser.add_argument(
        "--only", default="false,flap,outage", help="which tables: false, flap, outage, loss, ipv6, dropouts"
    )
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
    tables = args.only.split(",")
    real_time = [t for t in tables if t in ("loss", "dropouts")]
    if real_time and shutil.which("nft") is None:
        sys.exit("the packet-loss and dropout tables need nftables: apt-get install nftables")
    compressed = [t for t in tables if t not in ("loss", "dropouts", "ipv6")]
    # The packet-loss table runs in real time, its resolver at glibc's own timeout; the IPv6 table
    # in a namespace with an IPv6 route, which makes every lookup ask for IPv6 addresses too.
    groups = (
        (compressed, int(TIMEOUT), False),
        (real_time, REAL_TIMEOUT, False),
        (["ipv6"] if "ipv6" in tables else [], int(TIMEOUT), True),
    )
    for chosen, dns_timeout, ipv6 in groups:
        if not chosen:
            continue
        with namespace(dns_timeout=int(dns_timeout), ipv6_void=ipv6) as name:
            command = [sys.executable, str(Path(__file__).resolve()), "--inside", "--cycles", str(args.cycles)]
            command += ["--only", ",".join(chosen), "--kinds", args.kinds, "--confirm", str(args.confirm)]
            command += ["--recheck", str(args.recheck), *(["--full"] if args.full else [])]
            subprocess.run(["ip", "netns", "exec", name, *command], check=True, cwd=ROOT)


if __name__ == "__main__":
    main()
