"""An HTTP probe: bounded redirects, capped bodies, and the layer each failure was in."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from traywatch.catalog import THROTTLED_STATUSES, Endpoint
from traywatch.model import Layer, Outcome, Role
from traywatch.probes.client import Client, Request, Response
from traywatch.probes.progress import Progress
from traywatch.urls import InvalidUrl, Url, parse

# The client reports each step of a request by name; these starts mark layers.
_LAYER_EVENTS = {
    "connection.connect_tcp.started": Layer.TCP,
    "connection.start_tls.started": Layer.TLS,
    "http11.send_request_headers.started": Layer.HTTP,
    "http2.send_request_headers.started": Layer.HTTP,
}
_DONE_EVENTS = {"connection.connect_tcp.complete", "connection.start_tls.complete"}


@dataclass(frozen=True)
class HttpAnswer:
    outcome: Outcome
    detail: str
    status_code: int | None = None
    redirect_to: str | None = None
    body_truncated: bool = False


# Where to connect for a host and port: its addresses (looked up once), or None to leave it to
# the client (a proxy does its own lookup).
Find = Callable[[str, int], Awaitable[tuple[str, ...] | None]]


def asks_headers_only(endpoint: Endpoint) -> bool:
    """A web front's question is "does it answer": HEAD, so its page never crosses the wire.
    Anything that reads a body (a control, an api expectation, an expected body) asks GET."""
    return endpoint.role is Role.WEB and endpoint.expect_body is None and not endpoint.expect_json


async def _send(
    client: Client, url: Url, addresses: tuple[str, ...] | None, trace: Any, method: str = "GET"
) -> Response:
    """Send ``method`` for ``url`` to the first of ``addresses`` that takes the connection, naming
    the host in the Host header and the TLS SNI, and verifying its certificate for that name."""
    return await client.send(Request(method, url, connect_to=addresses or ()), trace)


async def probe_http(
    client: Client,
    endpoint: Endpoint,
    allows_redirect: Callable[[str], bool],
    progress: Progress,
    find: Find,
    *,
    max_redirects: int,
    body_cap: int,
) -> HttpAnswer:
    async def trace(event: str, info: dict[str, Any]) -> None:
        layer = _LAYER_EVENTS.get(event)
        if layer is not None:
            progress.enter(layer)
        elif event in _DONE_EVENTS:
            progress.done()

    url = parse(endpoint.url)
    seen = {str(url)}
    method = "HEAD" if asks_headers_only(endpoint) else "GET"
    for _ in range(max_redirects + 1):
        addresses = await find(url.host, url.effective_port)
        response = await _send(client, url, addresses, trace, method)
        if method == "HEAD" and (response.status_code == 405 or response.status_code >= 500):
            # "Method Not Allowed" may only mean "not to HEAD", and some servers treat HEAD apart
            # (501 among them): a failure is only believed as GET's answer.
            await response.aclose()
            method = "GET"
            response = await _send(client, url, addresses, trace, method)
        try:
            if response.has_redirect_location:
                try:
                    target = url.join(response.headers["location"])
                except InvalidUrl as exc:
                    return HttpAnswer(
                        Outcome.MALFORMED, f"{response.status_code} redirect: {exc}", response.status_code
                    )
                where = f"{response.status_code} redirect to {target.host}"
                if endpoint.role is Role.CONTROL or not allows_redirect(target.host):
                    # A control never redirects when the network is open: this is a portal's doing.
                    return HttpAnswer(Outcome.REDIRECT_OFFSITE, where, response.status_code, str(target))
                if str(target) in seen:
                    loop = f"redirect loop at {target}"
                    return HttpAnswer(Outcome.REDIRECT_LOOP, loop, response.status_code, str(target))
                seen.add(str(target))
                url = target
                continue
            body, truncated = await response.read(body_cap)
            progress.done()
            status = response.status_code
            if endpoint.expect_json and status in THROTTLED_STATUSES:
                return HttpAnswer(
                    Outcome.THROTTLED, f"answers {status}: too many requests from here, not judged", status
                )
            if not endpoint.status_ok(status):
                return HttpAnswer(Outcome.HTTP_STATUS, f"answers HTTP {status}", status, body_truncated=truncated)
            # A cut JSON document is no document: a huge answer never passes the api expectation.
            if (truncated and endpoint.expect_json) or not endpoint.body_ok(body.decode("utf-8", "replace")):
                size = f"more than {body_cap} bytes" if truncated else f"{len(body)} bytes"
                what = "not the app's own JSON" if endpoint.expect_json else "an unexpected body"
                return HttpAnswer(
                    Outcome.UNEXPECTED_BODY,
                    f"answers {status} with {what} ({size})",
                    status,
                    body_truncated=truncated,
                )
            if endpoint.expect_json:
                return HttpAnswer(Outcome.OK, f"the app answers ({status} with its own JSON)", status)
            return HttpAnswer(Outcome.OK, f"answers {status}", status, body_truncated=truncated)
        finally:
            await response.aclose()
    return HttpAnswer(Outcome.REDIRECT_LOOP, f"more than {max_redirects} redirects", None, str(url))
