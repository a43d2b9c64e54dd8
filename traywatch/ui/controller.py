"""Wires the monitor to Qt: timers drive it, the cycle runner feeds it, the tray renders it."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from traywatch import monitor
from traywatch.config import Config
from traywatch.forwarding import Outcome, Target, forward
from traywatch.history import History
from traywatch.model import Observations
from traywatch.monitor import MonitorState, NoteKind, Notification
from traywatch.notify import ACTION_DETAILS, ACTION_PAUSE
from traywatch.secretstore import SecretStore
from traywatch.settings import should_notify
from traywatch.ui.notifications import NotificationSink
from traywatch.ui.tray import PAUSE_HOUR, PAUSE_RESUME, PAUSE_TOMORROW, Tray
from traywatch.ui.worker import CycleRunner
from traywatch.verdict import Verdict

log = logging.getLogger(__name__)

DETAILS_EVENTS = 15  # the latest events shown under the last check's details


class Controller(QObject):
    forwarded = Signal(object)  # a forwarding Outcome, queued back from the probe thread

    def __init__(
        self,
        config: Config,
        *,
        tray: Tray,
        runner: CycleRunner,
        sink: NotificationSink,
        secrets: Callable[[], SecretStore] | None = None,
        history: History | None = None,
        clock: Callable[[], float] = time.time,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.config = config
        self.tray = tray
        self.runner = runner
        self.sink = sink
        self.clock = clock
        self.secrets = secrets
        self.history = history
        self.proxy_password: str | None = None
        self.state: MonitorState = monitor.initial(config.monitor, clock())
        self.details: Any = None  # the details window, made when first asked for

        self.tick_timer = QTimer(self)
        self.tick_timer.setInterval(int(config.monitor.tick * 1000))
        self.tick_timer.timeout.connect(self._tick)
        # One single-shot timer armed for the next due check: no polling between checks.
        self.check_timer = QTimer(self)
        self.check_timer.setSingleShot(True)
        self.check_timer.timeout.connect(self._schedule)

        runner.finished.connect(self._cycle_finished)
        runner.failed.connect(self._cycle_failed)
        tray.check_now.connect(self.check_now)
        tray.pause.connect(self.pause)
        tray.show_details.connect(self.show_details)
        sink.action.connect(self._notification_action)
        self.forwarded.connect(self._forwarded)

    def start(self) -> None:
        self._load_proxy_password()
        self.tray.render(monitor.view(self.state))
        self.tick_timer.start()
        self._schedule()

    def stop(self) -> None:
        self.tick_timer.stop()
        self.check_timer.stop()

    def _tick(self) -> None:
        epoch = self.state.epoch
        self.state = monitor.tick(self.state, self.clock())
        if self.state.epoch != epoch:
            log.info("the clock jumped: the machine slept; checking again now")
        self._render()
        self._schedule()

    def _schedule(self) -> None:
        now = self.clock()
        if monitor.due(self.state, now):
            self._start_cycle()
            return
        if self.state.running is None:
            self.check_timer.start(max(0, int((self.state.next_check - now) * 1000)))

    def _start_cycle(self) -> None:
        self.check_timer.stop()
        self.state, token = monitor.start_cycle(self.state)
        log.debug("starting check cycle %d", token)
        self.runner.run(token, self.config.catalog, self.config.probe_settings(self.proxy_password))

    def _cycle_finished(self, token: int, observations: Observations, verdict: Verdict) -> None:
        self.state, notes = monitor.cycle_done(self.state, token, verdict, self.clock())
        log.info("check done in %.0f ms: %s (%s)", observations.duration_ms, verdict.kind.value, verdict.headline)
        self._render()
        for note in notes:
            if self.history is not None and note.kind is not NoteKind.APP:
                # Kept whether or not it is shown: pauses and quiet hours silence, not forget.
                self.history.record(note.kind.value, note.title, note.body, at=self.clock())
            self.deliver(note)
        self._schedule()

    def _cycle_failed(self, token: int, reason: str) -> None:
        self.state = monitor.cycle_failed(self.state, token, self.clock())
        self._schedule()

    def deliver(self, note: Notification) -> None:
        """Show ``note`` unless the user's choices say not to, and forward it if asked to."""
        local = dt.datetime.fromtimestamp(self.clock()).astimezone()
        if not should_notify(self.config.values, note.kind.value, local.hour, local.minute):
            log.info("not shown (settings or quiet hours): %s", note.title)
            return
        self.sink.post(note)
        url = self.config.values["forwarding.url"]
        if url:
            self.runner.loop.submit(self._forward(Target(url, self.config.values["forwarding.format"]), note))

    async def _forward(self, target: Target, note: Notification) -> None:
        token = ""
        if self.secrets is not None:
            store = self.secrets()
            if store.available:
                try:
                    token = await asyncio.to_thread(lambda: store.get("forwarding.token") or "")
                except Exception as exc:
                    log.warning("forwarding without a token: %s", type(exc).__name__)
        outcome = await forward(replace(target, token=token), note)
        self.forwarded.emit(outcome)

    def _forwarded(self, outcome: Outcome) -> None:
        when = dt.datetime.fromtimestamp(outcome.at).astimezone().strftime("%H:%M")
        text = "" if outcome.ok else f"Forwarding failed at {when}: {outcome.detail}"
        self.tray.set_notice("forwarding", text)

    def reconfigure(self, config: Config) -> None:
        """Take new settings at once, without a restart."""
        self.config = config
        self.state = replace(self.state, settings=config.monitor)
        self.tick_timer.setInterval(int(config.monitor.tick * 1000))
        self._load_proxy_password()
        log.info("settings applied")
        self.check_now()

    def _load_proxy_password(self) -> None:
        self.proxy_password = None
        if self.config.needs_proxy_password and self.secrets is not None:
            store = self.secrets()
            try:
                self.proxy_password = store.get("network.proxy_password") if store.available else None
            except Exception as exc:
                log.warning("proxy password unavailable: %s", type(exc).__name__)

    def _render(self) -> None:
        self.tray.render(monitor.view(self.state))

    def check_now(self) -> None:
        self.state = monitor.check_now(self.state, self.clock())
        self._schedule()

    def network_changed(self) -> None:
        log.info("the network changed; checking again now")
        self.state = monitor.network_changed(self.state, self.clock())
        self._schedule()

    def pause(self, how: str) -> None:
        now = self.clock()
        until = {
            PAUSE_HOUR: now + 3600,
            PAUSE_TOMORROW: monitor.tomorrow_morning(now),
            PAUSE_RESUME: None,
        }[how]
        self.state = monitor.pause(self.state, until)
        log.info("notifications paused until %s", until)
        self._render()

    def show_details(self) -> None:
        if self.details is None:
            from traywatch.ui.dialogs import DetailsDialog

            self.details = DetailsDialog()
        evidence = self.state.verdict.evidence if self.state.verdict else ()
        recent = self.history.recent(DETAILS_EVENTS).events if self.history is not None else ()
        self.details.show_view(monitor.view(self.state), evidence, recent)

    def _notification_action(self, action: str) -> None:
        if action == ACTION_PAUSE:
            self.pause(PAUSE_HOUR)
        elif action in (ACTION_DETAILS, "default"):
            self.show_details()
