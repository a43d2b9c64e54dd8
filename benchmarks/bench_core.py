"""Probe core figures, each a ratio to a baseline measured in the same run.

    .venv/bin/python benchmarks/bench_core.py

1. One cycle over a catalog shaped like the shipped one (same services, endpoints, controls and
   DoH lookups) against local servers, with one endpoint hanging: cycle time / probe timeout.
2. A cycle of 50 endpoints / a cycle of 1 endpoint, with servers answering at once and with
   servers answering after 100 ms (closer to a real round trip).
   A chat-connection probe (``wss://``: TLS, the upgrade, its answer) / a TLS-handshake probe of
   the same server: what knocking at the chat service's door costs over the handshake alone.
3. ``traywatch check`` process start-to-exit / ``python -c "import httpx"``.
4. Resident memory a full cycle adds once allocations have settled (cycles 100 to 1000, on one
   event loop as the app runs them): a leak shows here, in KB a cycle and MB a day.

The servers run in a process of their own (benchmarks/serve.py) so their CPU is not the client's.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from traywatch.catalog import Catalog, Endpoint, Resolver, Service, shipped_catalog
from traywatch.model import Role
from traywatch.probes import ProbeSettings, run_cycle

HERE = Path(__file__).resolve().parent


@contextmanager
def local_servers(folder: Path) -> Iterator[dict[str, int]]:
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "serve.py"), str(folder)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        os.environ["SSL_CERT_FILE"] = str(folder / "ca.pem")
        yield json.loads((folder / "ports.json").read_text())
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(10)


def shaped_catalog(ports: dict[str, int], hang_one: bool) -> Catalog:
    """The shipped catalog's shape, every URL pointed at the local servers."""
    shipped = shipped_catalog()
    https = f"https://127.0.0.1:{ports['https']}"
    services = []
    hang_next = hang_one
    for svc in shipped.services:
        endpoints = []
        for ep in svc.endpoints:
            if ep.scheme.startswith("http") and ep.expect_json:
                url = f"{https}/api"
            elif ep.scheme.startswith("http"):
                url = f"{https}/{'hang' if hang_next else 'web'}"
                hang_next = False
            elif ep.scheme == "wss":
                url = f"wss://127.0.0.1:{ports['https']}/ws"
            elif ep.scheme == "tls":
                url = f"tls://127.0.0.1:{ports['https']}"
            else:
                url = f"tcp://127.0.0.1:{ports['http']}"
            endpoints.append(replace(ep, url=url))
        services.append(replace(svc, endpoints=tuple(endpoints)))
    controls = tuple(
        replace(c, endpoint=replace(c.endpoint, url=f"http://127.0.0.1:{ports['http']}/control-{c.id}"))
        for c in shipped.controls
    )
    resolvers = tuple(Resolver(r.id, r.name, f"{https}/dns-query") for r in shipped.resolvers)
    return Catalog(tuple(services), controls, resolvers)


def n_endpoints(ports: dict[str, int], n: int, path: str) -> Catalog:
    url = f"https://127.0.0.1:{ports['https']}{path}"
    endpoints = tuple(Endpoint(f"e{i}", Role.WEB, url) for i in range(n))
    return Catalog((Service("s", "S", (), endpoints),), (), ())


def time_cycle(catalog: Catalog, settings: ProbeSettings, runs: int) -> float:
    return statistics.median(cycle_times([catalog], settings, runs)[0][0])


def cycle_times(
    catalogs: list[Catalog], settings: ProbeSettings, runs: int
) -> tuple[list[list[float]], list[list[float]]]:
    """Wall and CPU seconds of each catalog's cycles, the catalogs taking turns so that each
    sees the machine as it is at the moment, on one event loop as the app runs them
    (asyncio.run would add a loop's set-up and a SIGINT handler's swap, which formats the
    result, to each)."""
    walls: list[list[float]] = [[] for _ in catalogs]
    cpus: list[list[float]] = [[] for _ in catalogs]
    loop = asyncio.new_event_loop()
    try:
        for _ in range(runs):
            for index, catalog in enumerate(catalogs):
                started, cpu = time.perf_counter(), time.process_time()
                loop.run_until_complete(run_cycle(catalog, settings))
                walls[index].append(time.perf_counter() - started)
                cpus[index].append(time.process_time() - cpu)
    finally:
        loop.close()
    return walls, cpus


def time_process(argv: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def write_config(path: Path, catalog: Catalog) -> None:
    lines = ["[catalog]", "include_defaults = false"]
    for svc in catalog.services:
        lines += ["[[service]]", f'id = "{svc.id}"']
        for ep in svc.endpoints:
            lines += ["[[service.endpoint]]", f'id = "{ep.id}"', f'role = "{ep.role.value}"', f'url = "{ep.url}"']
            if ep.expect_json:
                lines += ["expect_json = { " + ", ".join(f"{k} = {json.dumps(v)}" for k, v in ep.expect_json) + " }"]
    for control in catalog.controls:
        lines += ["[[control]]", f'id = "{control.id}"', f'url = "{control.endpoint.url}"']
        lines += [f"expect_status = {list(control.endpoint.expect_status)}"]
        if control.endpoint.expect_body is not None:
            lines += [f"expect_body = {json.dumps(control.endpoint.expect_body)}"]
            lines += [f'body_match = "{control.endpoint.body_match.value}"']
    for resolver in catalog.resolvers:
        lines += ["[[resolver]]", f'id = "{resolver.id}"', f'url = "{resolver.url}"']
    path.write_text("\n".join(lines) + "\n")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, local_servers(Path(tmp)) as ports:
        timeout = 2.0
        catalog = shaped_catalog(ports, hang_one=True)
        count = sum(len(s.endpoints) for s in catalog.services) + len(catalog.controls)
        cycle = time_cycle(catalog, ProbeSettings(timeout=timeout), runs=3)
        print(f"1. shipped-shaped catalog ({count} endpoints and DoH), one endpoint hanging, timeout {timeout:g} s")
        print(f"   cycle {cycle:.3f} s, ratio to timeout {cycle / timeout:.3f} (goal <= 1.05)")

        settings = ProbeSettings(timeout=5.0)
        print("2. 50 endpoints vs 1, median of 31 cycles each, taking turns")
        for label, path in (("instant answers", "/web"), ("answers after 100 ms", "/web-delay")):
            (one, fifty), (one_cpu, fifty_cpu) = cycle_times(
                [n_endpoints(ports, 1, path), n_endpoints(ports, 50, path)], settings, runs=31
            )
            wall_1, wall_50 = statistics.median(one), statistics.median(fifty)
            per_probe = (statistics.median(fifty_cpu) - statistics.median(one_cpu)) / 49
            print(
                f"   {label}: 1 endpoint {wall_1 * 1000:.1f} ms, 50 endpoints {wall_50 * 1000:.1f} ms, "
                f"ratio {wall_50 / wall_1:.2f} (goal <= 1.5); client CPU {per_probe * 1000:.2f} ms a probe"
            )

        wss = Endpoint("chat", Role.EDGE, f"wss://127.0.0.1:{ports['https']}/ws")
        tls = Endpoint("chat", Role.EDGE, f"tls://127.0.0.1:{ports['https']}")
        (wss_walls, tls_walls), _ = cycle_times(
            [Catalog((Service("s", "S", (), (wss,)),), (), ()), Catalog((Service("s", "S", (), (tls,)),), (), ())],
            settings,
            runs=31,
        )
        one_wss, one_tls = statistics.median(wss_walls), statistics.median(tls_walls)
        print(
            f"   chat connection {one_wss * 1000:.1f} ms vs TLS handshake {one_tls * 1000:.1f} ms, "
            f"ratio {one_wss / one_tls:.2f} (report)"
        )

        config = Path(tmp) / "local.toml"
        write_config(config, shaped_catalog(ports, hang_one=False))
        check = time_process([sys.executable, "-m", "traywatch", "check", "--config", str(config)], 10)
        helptext = time_process([sys.executable, "-m", "traywatch", "check", "--help"], 10)
        base = time_process([sys.executable, "-c", "import httpx"], 10)
        print("3. process start to exit, median of 10")
        print(f"   python -c 'import httpx' {base * 1000:.0f} ms")
        print(f"   traywatch check --help {helptext * 1000:.0f} ms, ratio {helptext / base:.2f}")
        print(f"   traywatch check (full cycle, local servers) {check * 1000:.0f} ms, ratio {check / base:.2f}")

        grown = memory_growth(shaped_catalog(ports, hang_one=False), settings)
        print("4. resident memory from cycle 100 to 1000 of the shipped shape (20 connections a cycle)")
        print(f"   {grown:.2f} KB a cycle: {grown * 24 * 60 / 1024:.1f} MB a day at one full cycle a minute (goal: ~0)")


def _rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def memory_growth(catalog: Catalog, settings: ProbeSettings, cycles: int = 1000, settle: int = 100) -> float:
    """KB of resident memory a cycle adds once allocations have settled, on one event loop as
    the app runs them: a leak in the probes (or under them) shows here."""
    import gc

    loop = asyncio.new_event_loop()
    try:
        start = 0
        for index in range(cycles):
            loop.run_until_complete(run_cycle(catalog, settings))
            if index + 1 == settle:
                gc.collect()
                start = _rss_kb()
        gc.collect()
        return (_rss_kb() - start) / (cycles - settle)
    finally:
        loop.close()


if __name__ == "__main__":
    main()
