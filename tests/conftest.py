from __future__ import annotations

import datetime as dt
import gc
import logging
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from tests.dbus_service import private_bus
from tests.desktop import Desktop
from tests.servers import LocalServer, server_context
from traywatch.loop_thread import LoopThread

_PROXY_VARS = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


@pytest.fixture(scope="session")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="session")
def ca_file(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, ca_file: Path) -> Path:
    """Every test: trust only the test CA, no proxies, and a private home for config and logs."""
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    for name in _PROXY_VARS:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    home = tmp_path / "home"
    for var, sub in (
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_STATE_HOME", "state"),
        ("XDG_DATA_HOME", "data"),
        ("XDG_CACHE_HOME", "cache"),
    ):
        (home / sub).mkdir(parents=True)
        monkeypatch.setenv(var, str(home / sub))
    runtime = home / "runtime"  # the single-instance socket lives here: no clash with a running app
    runtime.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    monkeypatch.setenv("HOME", str(home))
    return home


@pytest.fixture(scope="session")
def http_server() -> Iterator[LocalServer]:
    server = LocalServer()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def https_server(ca: trustme.CA) -> Iterator[LocalServer]:
    server = LocalServer(server_context(ca, "127.0.0.1", "localhost"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def expired_server(ca: trustme.CA) -> Iterator[LocalServer]:
    past = dt.datetime.now(dt.UTC) - dt.timedelta(days=30)
    context = server_context(ca, "127.0.0.1", not_before=past - dt.timedelta(days=90), not_after=past)
    server = LocalServer(context)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def wrong_host_server(ca: trustme.CA) -> Iterator[LocalServer]:
    server = LocalServer(server_context(ca, "other.example"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def unknown_issuer_server() -> Iterator[LocalServer]:
    other_ca = trustme.CA()
    server = LocalServer(server_context(other_ca, "127.0.0.1"))
    server.ca_pem = other_ca.cert_pem.bytes()  # type: ignore[attr-defined]  # for "extra CA" tests
    yield server
    server.stop()


@pytest.fixture(scope="session")
def tls_hang_server(ca: trustme.CA) -> Iterator[LocalServer]:
    server = LocalServer(server_context(ca, "127.0.0.1"))
    server.tls_handshake_hangs = True
    yield server
    server.stop()


@pytest.fixture(scope="session", autouse=True)
def _no_stray_env() -> None:
    # A developer's own proxy settings must not leak into the servers' clients.
    for name in _PROXY_VARS:
        os.environ.pop(name, None)
        os.environ.pop(name.upper(), None)


# Qt widgets tests run offscreen; the end-to-end tests start their own X server.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(scope="session")
def desktop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desktop]:
    from tests.desktop import missing_tools

    missing = missing_tools()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"CI must provide the desktop test tools; missing: {', '.join(missing)}")
        pytest.skip(f"needs {', '.join(missing)} (packaging/debian-test.txt)")
    session = Desktop(tmp_path_factory.mktemp("desktop"))
    try:
        session.start()
        yield session
    finally:
        session.stop()


@pytest.fixture
def loop() -> Iterator[LoopThread]:
    """The app's probe thread: an asyncio loop of its own."""
    from traywatch.loop_thread import LoopThread

    # As in the app (traywatch/ui/collector.py): no collection on the probe thread, where it
    # could finalize a Qt widget's wrapper; the test's own thread collects afterwards.
    gc.collect()
    gc.disable()
    thread = LoopThread()
    thread.start()
    try:
        yield thread
    finally:
        thread.stop()
        gc.enable()
        gc.collect()  # a transport left open by this test warns here, against this test


@pytest.fixture
def empty_session_bus(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    """A private session bus with nothing on it, as the session's bus."""
    with private_bus(tmp_path) as address:
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
        yield address


@pytest.fixture
def netns() -> Iterator[str]:
    """A fresh network namespace: only a loopback, down, until the test sets it up."""
    if not (os.geteuid() == 0 and shutil.which("ip")):
        if os.environ.get("CI"):
            pytest.fail("CI must run as root with iproute2 to test a real offline network")
        pytest.skip("needs root and iproute2 (ip netns)")
    name = f"tw-{uuid.uuid4().hex[:8]}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], check=False)
        shutil.rmtree(f"/etc/netns/{name}", ignore_errors=True)


@pytest.fixture
def root_logger() -> Iterator[logging.Logger]:
    """The root logger, with whatever handlers a test added to it removed and closed after."""
    root = logging.getLogger()
    before = list(root.handlers)
    yield root
    for handler in root.handlers[:]:
        if handler not in before:
            root.removeHandler(handler)
            handler.close()
