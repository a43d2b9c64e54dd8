"""Local HTTP and HTTPS servers for benchmarks, in their own process so that their CPU time is
not the client's. Writes ``ca.pem`` and ``ports.json`` into the given folder, then serves until
stdin closes."""

from __future__ import annotations

import json
import ssl
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import trustme  # noqa: E402

from tests import servers  # noqa: E402

CONTROL_BODIES = {
    "google": b"",
    "apple": b"<HTML><HEAD><TITLE>Success</TITLE></HEAD><BODY>Success</BODY></HTML>",
    "microsoft": b"Microsoft Connect Test",
    "firefox": b"success\n",
    "gnome": b"NetworkManager is online\n",
    "cloudflare": b"fl=1\nh=1.1.1.1\nvisit_scheme=https\n",
}


def main() -> None:
    folder = Path(sys.argv[1])
    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(folder / "ca.pem"))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    http, https = servers.LocalServer(), servers.LocalServer(context)
    for server in (http, https):
        server.route("/web", servers.ok(b"<html>ok</html>"))
        # 100 ms before answering: roughly a real round trip plus server time.
        server.route("/web-delay", servers.slow(0.1, b"<html>ok</html>"))
        server.route("/hang", servers.hang)
        server.route("/dns-query", servers.doh({}))
        server.route("/ws", servers.ws_accept(hold=False))
        server.route("/api", servers.ok(b'{"message": "login_required", "status": "fail"}', 403, "application/json"))
        for name, body in CONTROL_BODIES.items():
            server.route(f"/control-{name}", servers.ok(body, status=204 if name == "google" else 200))
    (folder / "ports.json").write_text(json.dumps({"http": http.port, "https": https.port}))
    print("ready", flush=True)
    sys.stdin.read()
    http.stop()
    https.stop()


if __name__ == "__main__":
    main()
