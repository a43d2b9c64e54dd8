"""GUI event-loop latency while probe cycles with hanging endpoints run on the worker thread.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/gui_latency.py HTTPS_PORT

A 5 ms QTimer records how late each of its ticks is; the figure is the worst lateness during
three cycles of 20 hanging and 20 healthy endpoints (timeout 2 s), beside the same measure with
no cycle running.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6.QtCore import QCoreApplication, QTimer

from traywatch.catalog import Catalog, Endpoint, Service
from traywatch.loop_thread import LoopThread
from traywatch.model import ProbeSettings, Role
from traywatch.ui.worker import CycleRunner

PERIOD_MS = 5


def measure(app: QCoreApplication, seconds: float, runner: CycleRunner | None, catalog: Catalog) -> float:
    lateness: list[float] = []
    last = [time.perf_counter()]
    timer = QTimer()
    timer.setInterval(PERIOD_MS)

    def on_tick() -> None:
        now = time.perf_counter()
        lateness.append((now - last[0]) * 1000 - PERIOD_MS)
        last[0] = now

    timer.timeout.connect(on_tick)
    timer.start()
    pending = [3 if runner else 0]

    def next_cycle(*_: object) -> None:
        if pending[0] > 0 and runner is not None:
            pending[0] -= 1
            runner.run(pending[0], catalog, ProbeSettings(timeout=2.0))
        elif runner is None or pending[0] == 0:
            QTimer.singleShot(int(seconds * 1000) if runner is None else 100, app.quit)

    if runner is not None:
        runner.finished.connect(next_cycle)
    next_cycle()
    app.exec()
    timer.stop()
    return max(lateness[1:]) if len(lateness) > 1 else 0.0


def main() -> None:
    port = int(sys.argv[1])
    app = QCoreApplication(sys.argv[:1])
    loop = LoopThread()
    loop.start()
    base = f"https://127.0.0.1:{port}"
    endpoints = tuple(Endpoint(f"h{i}", Role.WEB, f"{base}/hang") for i in range(20)) + tuple(
        Endpoint(f"o{i}", Role.WEB, f"{base}/web") for i in range(20)
    )
    catalog = Catalog((Service("s", "S", (), endpoints),), (), ())
    idle = measure(app, 3.0, None, catalog)
    busy = measure(app, 0, CycleRunner(loop), catalog)
    loop.stop()
    print(
        f"4. GUI event-loop lateness, worst tick: {busy:.1f} ms during 3 cycles with 20 hanging endpoints, "
        f"{idle:.1f} ms idle (goal < 50 ms)"
    )


if __name__ == "__main__":
    main()
