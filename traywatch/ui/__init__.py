"""The Qt front: tray icon, menus and dialogs. The only package that imports PySide6.

The Qt-free core is imported before PySide6, and PySide6's import hook is then kept from reading
the source of every module imported after it (``feature_hook``): about 7 MB less memory and less
start-up work (docs/performance.md).
"""

import asyncio  # noqa: F401
import concurrent.futures  # noqa: F401
import contextlib
import logging.handlers  # noqa: F401

import traywatch.config
import traywatch.configstore
import traywatch.forwarding
import traywatch.history
import traywatch.logs
import traywatch.loop_thread
import traywatch.monitor
import traywatch.notify
import traywatch.paths
import traywatch.secretstore  # noqa: F401
from traywatch.ui.feature_hook import skip_source_reads

with contextlib.suppress(ImportError):  # Linux only: the D-Bus notifier
    import jeepney.io.asyncio  # noqa: F401

import PySide6.QtCore  # noqa: F401  (after the core, on purpose: see above)

skip_source_reads()
