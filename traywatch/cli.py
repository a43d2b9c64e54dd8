"""The command line: ``traywatch check`` runs one cycle headless; plain ``traywatch`` starts the tray."""

from __future__ import annotations

import argparse
import codecs
import io
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from traywatch import __version__
from traywatch.errors import EXIT_USAGE, TraywatchError, ending

# The core is imported by the command that needs it: the tray app shows its icon before loading it.

if TYPE_CHECKING:
    from traywatch.episodes import Episode


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="traywatch",
        description="Is it your connection, your network, or is Meta down?",
    )
    parser.add_argument("--version", action="version", version=f"traywatch {__version__}")
    parser.add_argument("--config", type=Path, help="use this config file instead of the default")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more detail")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    check = commands.add_parser(
        "check",
        help="run one check and print the verdict",
        description="Run one check cycle and print the verdict. Exit status: 0 all clear, "
        "1 a Meta service is down, slow or its DNS fails, 2 usage or config error, "
        "3 the problem is on your side (connection, captive portal, DNS, unstable, clock, blocked), "
        "4 internal error.",
    )
    check.add_argument("--json", action="store_true", help="print a JSON document (docs/check-json.md)")
    check.add_argument("--config", type=Path, dest="check_config", help="use this config file")
    check.add_argument("--timeout", type=float, help="seconds each probe, and so the whole cycle, may take")
    history = commands.add_parser(
        "history",
        help="list what the tray app saw happen",
        description="List the episodes the tray app has seen (outages, blocks, your own connection's "
        "trouble: start, end, how long), oldest first; --events lists its notices instead.",
    )
    form = history.add_mutually_exclusive_group()
    form.add_argument("--json", action="store_true", help="print a JSON array")
    form.add_argument("--csv", action="store_true", help="print CSV: start,end,duration_s,service,kind,headline")
    history.add_argument("--events", action="store_true", help="the notices, not episodes")
    history.add_argument("--since", metavar="SPAN", help="only the last SPAN, like 7d, 12h or 30m")
    history.add_argument("--limit", type=int, default=50, help="at most this many of the latest (50)")
    return parser


def run_history(form: str, events: bool, since: str | None, limit: int) -> int:
    import json
    import time
    from dataclasses import asdict

    from traywatch.episodes import episodes, parse_since
    from traywatch.history import EVERY_LINE, History, describe
    from traywatch.paths import Paths

    now = time.time()
    try:
        cutoff = now - parse_since(since) if since else None
    except ValueError as exc:
        print(f"traywatch: --since: {exc}", file=sys.stderr)
        return EXIT_USAGE
    history = History(Paths.default().history_file)
    recent = history.recent(EVERY_LINE)
    if recent.unreadable:
        print(f"traywatch: {recent.unreadable} unreadable line(s) in {history.path} were skipped", file=sys.stderr)
    if events:
        chosen = [e for e in recent.events if cutoff is None or e.at >= cutoff][-limit:]
        if form == "json":
            print(json.dumps([asdict(e) for e in chosen], indent=2, ensure_ascii=False, allow_nan=False))
        elif form == "csv":
            _csv(["at", "kind", "title", "body"], [[_iso(e.at), e.kind, e.title, e.body] for e in chosen])
        elif chosen:
            print("\n".join(describe(event) for event in chosen))
        else:
            print(f"Nothing recorded yet ({history.path}).")
        return 0
    found = [e for e in episodes(recent.events) if cutoff is None or e.end is None or e.end >= cutoff][-limit:]
    rows = [_episode_row(e, now) for e in found]
    if form == "json":
        print(
            json.dumps(
                [dict(zip(EPISODE_FIELDS, row, strict=True)) for row in rows],
                indent=2,
                ensure_ascii=False,
                allow_nan=False,
            )
        )
    elif form == "csv":
        _csv(list(EPISODE_FIELDS[:6]), [row[:6] for row in rows])
    elif rows:
        from traywatch.monitor import format_duration

        for row in rows:
            start, end, seconds, service, kind, headline = row[:6]
            print(
                f"{start}  {end or 'going on':<25}  {format_duration(float(str(seconds))):>10}  "
                f"{service or 'your connection'}  {kind}  {headline}"
            )
    else:
        print(f"No episodes recorded yet ({history.path}).")
    return 0


EPISODE_FIELDS = ("start", "end", "duration_s", "service", "kind", "headline", "evidence")


def _iso(timestamp: float | None) -> str | None:
    import datetime as dt

    if timestamp is None:
        return None
    return dt.datetime.fromtimestamp(timestamp).astimezone().isoformat(timespec="seconds")


def _episode_row(episode: Episode, now: float) -> list[Any]:
    return [
        _iso(episode.start),
        _iso(episode.end),
        round(episode.duration(now)),
        episode.service,
        episode.kind,
        episode.headline,
        episode.evidence,
    ]


def _csv(header: list[str], rows: list[list[Any]]) -> None:
    import csv

    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if cell is None else _cell(cell) for cell in row])


def _cell(value: Any) -> Any:
    # A spreadsheet runs a cell that starts with = + - or @: such text is quoted as text.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def run_check(config_path: Path | None, as_json: bool, timeout: float | None) -> int:
    import asyncio
    import json
    from dataclasses import replace

    from traywatch.config import load_config
    from traywatch.paths import Paths
    from traywatch.probes import run_cycle
    from traywatch.report import exit_code, to_json, to_text
    from traywatch.verdict import decide

    path = config_path or Paths.default().config_file
    config = load_config(path, required=config_path is not None)
    for problem in config.problems:  # unknown keys: named, not fatal
        print(f"traywatch: {path}: {problem}", file=sys.stderr)
    password = None
    if config.needs_proxy_password:
        from traywatch.secretbind import release
        from traywatch.secretstore import open_secret_store

        store = open_secret_store()
        stored = store.get("network.proxy_password") if store.available else None
        found = release(stored, config["network.proxy_url"], "proxy password", loopback_http=True)
        if found.reason:
            print(f"traywatch: {found.reason}", file=sys.stderr)
        password = found.secret
    settings = config.probe_settings(password)
    if timeout is not None:
        settings = replace(settings, timeout=timeout)
    observations = asyncio.run(run_cycle(config.catalog, settings, config.status_page()))
    verdict = decide(observations)
    if as_json:
        print(json.dumps(to_json(verdict, observations), indent=2, allow_nan=False))
    else:
        print(to_text(verdict, observations))
    return exit_code(verdict)


NO_DESKTOP = (
    "traywatch needs a desktop session (no DISPLAY or WAYLAND_DISPLAY): "
    "run `traywatch check` for a one-off check in the terminal"
)


def _no_desktop() -> str:
    """Why the tray cannot start here, or "": checked before Qt, whose own failure is an abort."""
    if not sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        return ""
    if os.environ.get("QT_QPA_PLATFORM") or os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return ""  # a platform chosen on purpose (offscreen, vnc…), or a display to use
    return f"traywatch: {NO_DESKTOP}"


# What a terminal that cannot show our punctuation (an ASCII or Latin-1 locale) gets instead.
_PLAIN = {"—": "-", "–": "-", "…": "...", "‘": "'", "’": "'", "“": '"', "”": '"', "→": "->", "×": "x"}


def _plainly(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeEncodeError):
        raise error
    unshown = error.object[error.start : error.end]
    return "".join(_PLAIN.get(char, "?") for char in unshown), error.end


def _plain_where_needed() -> None:
    codecs.register_error("traywatch.plain", _plainly)
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="traywatch.plain")


def main(argv: list[str] | None = None) -> int:
    _plain_where_needed()
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "check" and args.timeout is not None and not 0.1 <= args.timeout <= 120:
        parser.error("--timeout must be between 0.1 and 120 seconds")
    if args.command == "history" and args.limit < 1:
        parser.error("--limit must be at least 1")
    try:
        if args.command == "check":
            return run_check(args.check_config or args.config, args.json, args.timeout)
        if args.command == "history":
            form = "json" if args.json else "csv" if args.csv else "text"
            return run_history(form, args.events, args.since, args.limit)
        missing = _no_desktop()
        if missing:
            print(missing, file=sys.stderr)
            return EXIT_USAGE
        from traywatch.ui.app import run_app

        return run_app(args.config, verbose=args.verbose)
    except TraywatchError as exc:
        words, code = ending(exc)
        print(words, file=sys.stderr)
        return code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`traywatch check | head`): nothing more to say to it.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except Exception as exc:  # the last line of defence: a short message, never a traceback dump
        words, code = ending(exc)
        print(words, file=sys.stderr)
        if args.verbose:
            raise
        return code
