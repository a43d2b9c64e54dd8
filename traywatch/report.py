"""Render a verdict for people (a headline and a table) and for scripts (stable JSON)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from traywatch import __version__
from traywatch.errors import EXIT_ALL_CLEAR, EXIT_THEM, EXIT_YOU
from traywatch.model import DohAnswer, Observations, ProbeResult
from traywatch.statuspage import StatusReport
from traywatch.text import redact, terminal
from traywatch.verdict import Side, Verdict

JSON_SCHEMA = 1


_EXIT_BY_SIDE = {Side.NONE: EXIT_ALL_CLEAR, Side.THEM: EXIT_THEM, Side.YOU: EXIT_YOU}


def exit_code(verdict: Verdict) -> int:
    return _EXIT_BY_SIDE[verdict.kind.side]


def _probe_json(probe: ProbeResult) -> dict[str, Any]:
    return {
        "id": probe.endpoint_id if probe.role.value != "control" else probe.target_id,
        "role": probe.role.value,
        "url": redact(probe.url),
        "host": probe.host,
        "ok": probe.ok,
        "outcome": probe.outcome.value,
        "layer": probe.layer.value,
        "detail": probe.detail,
        "latency_ms": probe.latency_ms,
        "status_code": probe.status_code,
        "addresses": list(probe.addresses),
        "layers_ms": {layer.value: ms for layer, ms in probe.layer_ms},
        "redirect_to": redact(probe.redirect_to) if probe.redirect_to else None,
        "body_truncated": probe.body_truncated,
        "attempts": probe.attempts,
    }


def _doh_json(answer: DohAnswer) -> dict[str, Any]:
    return {
        "resolver": answer.resolver_id,
        "name": answer.name,
        "status": answer.status.value,
        "addresses": list(answer.addresses),
        "latency_ms": answer.latency_ms,
        "detail": answer.detail,
    }


def _moment(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    return dt.datetime.fromtimestamp(timestamp, tz=dt.UTC).isoformat(timespec="seconds")


def _status_page_json(report: StatusReport | None, obs: Observations) -> dict[str, Any] | None:
    if report is None:
        return None
    wanted = {p for _, products in obs.status_products for p in products}
    return {
        "available": report.available,
        "problem": report.problem or None,
        "read_at": _moment(report.fetched_at),
        "products": [
            {
                "id": p.id,
                "name": p.name,
                "status": p.text,
                "level": p.level.name.lower(),
                "since": _moment(p.since),
                "services": [sid for sid, products in obs.status_products if p.id in products],
            }
            for p in report.products
            if p.id in wanted
        ],
    }


def to_json(verdict: Verdict, obs: Observations) -> dict[str, Any]:
    """The documented ``traywatch check --json`` document (docs/check-json.md)."""
    checked = dt.datetime.fromtimestamp(obs.started_at, tz=dt.UTC)
    return {
        "schema": JSON_SCHEMA,
        "traywatch": __version__,
        "checked_at": checked.isoformat(timespec="seconds"),
        "duration_ms": obs.duration_ms,
        "verdict": {
            "kind": verdict.kind.value,
            "side": verdict.kind.side.value,
            "headline": verdict.headline,
            "explanation": verdict.explanation,
            "evidence": list(verdict.evidence),
            "affected": list(verdict.affected),
        },
        "exit_code": exit_code(verdict),
        "controls": {
            "ok": verdict.controls_ok,
            "total": verdict.controls_total,
            "results": [_probe_json(p) for p in obs.controls],
        },
        "services": [
            {
                "id": s.id,
                "name": s.name,
                "state": s.state.value,
                "reason": s.reason,
                "endpoints": [_probe_json(p) for p in s.probes],
            }
            for s in verdict.services
        ],
        "dns": [_doh_json(a) for a in obs.doh],
        "status_page": _status_page_json(obs.status_page, obs),
    }


def _row(name: str, probe: ProbeResult) -> tuple[str, ...]:
    result = "ok" if probe.ok else probe.outcome.value.replace("_", " ")
    latency = f"{probe.latency_ms:.0f} ms"
    return (name, probe.host, result, probe.layer.value, probe.detail, latency)


DETAIL_WIDTH = 48  # the rest is in --json


def _cut(cell: str, width: int) -> str:
    return cell if len(cell) <= width else cell[: width - 1] + "…"


def to_text(verdict: Verdict, obs: Observations) -> str:
    """The verdict and a table for a terminal: control characters from a config or a server are
    shown, never obeyed."""
    return terminal(_text(verdict, obs))


def _text(verdict: Verdict, obs: Observations) -> str:
    rows: list[tuple[str, ...]] = [("", "HOST", "RESULT", "LAYER", "DETAIL", "LATENCY")]
    for status in verdict.services:
        for index, probe in enumerate(status.probes):
            rows.append(_row(status.name if index == 0 else "", probe))
    for index, probe in enumerate(obs.controls):
        rows.append(_row("Controls" if index == 0 else "", probe))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    widths[4] = min(widths[4], DETAIL_WIDTH)
    lines = [verdict.headline, verdict.explanation, ""]
    for row in rows:
        cells = [_cut(cell, widths[i]).ljust(widths[i]) for i, cell in enumerate(row[:-1])]
        lines.append("  ".join([*cells, row[-1].rjust(widths[-1])]).rstrip())
    lines.append("")
    controls = f"{verdict.controls_ok}/{verdict.controls_total}"
    lines.append(f"Checked in {obs.duration_ms / 1000:.1f} s; controls {controls} ok.")
    page = obs.status_page
    if page is not None:
        wanted = {p for _, products in obs.status_products for p in products}
        said = [p.describe() for p in page.products if p.id in wanted]
        if not page.available:
            lines.append(f"Meta's status page: unavailable ({page.problem}).")
        else:
            lines.append(f"Meta's status page: {'; '.join(said) if said else 'says nothing of these services'}.")
    return "\n".join(lines)
