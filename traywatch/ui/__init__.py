"""The Qt front: tray icon, menus and dialogs. The only package that imports PySide6.

PySide6 reads the source of every module imported after it (its ``__feature__`` import hook runs
``inspect.getsource`` on each). Importing the Qt-free core first keeps that to our own Qt modules:
about 4 MB less memory and 100 ms less start-up (docs/performance.md).
"""

import asyncio  # noqa: F401
import concurrent.futures  # noqa: F401
import contextlib

import httpx  # noqa: F401

import traywatch.autostart
import traywatch.config
import traywatch.configstore
import traywatch.forwarding
import traywatch.loop_thread
import traywatch.monitor
import traywatch.notify
import traywatch.probes
import traywatch.secretstore  # noqa: F401

with contextlib.suppress(ImportError):  # Linux only: the D-Bus notifier
    import jeepney.io.asyncio  # noqa: F401
