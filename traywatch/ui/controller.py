"""Wires the monitor to Qt: timers drive it, the cycle runner feeds it, the tray renders it."""

from __future__ import annotations

import contextlib
import inspect
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from traywatch import monitor, tiers
from traywatch.config import Config
from traywatch.forwarding import Credentials, Outcome, WebhookSink, webhook_credentials
from traywatch.history import EVERY_LINE, History
from traywatch.metered import NetworkManagerMetered
from traywatch.model import Observations
from traywatch.monitor import MonitorState
from traywatch.notices import NoteKind, Notification
from traywatch.notify import ACTION_DETAILS, ACTION_MUTE, ACTION_PAUSE, ACTION_PORTAL
from traywatch.pipeline import HistorySink, Pipeline
from traywatch.policy import UNTIL_BACK
from traywatch.secretbind import release
from traywatch.secretstore import SecretStore
from traywatch.ui.network_watch import qt_metered
from traywatch.ui.notifications import NotificationSink
from traywatch.ui.tray import MUTE_8H, MUTE_BACK, MUTE_HOUR, PAUSE_HOUR, PAUSE_RESUME, PAUSE_TOMORROW, UNMUTE, Tray
from traywatch.ui.worker import CycleRunner
from traywatch.verdict import Verdict, VerdictKind
from traywatch.view import view

log = logging.getLogger(__name__)

# Whether the connection is metered: Qt's answer, read on the GUI thread, or a coroutine's,
# awaited on the probe loop.
MeteredAsk = Callable[[], bool | None] | Callable[[], Awaitable[bool | None]]


class Controller(QObject):
    forwarded = Signal(object)  # a forwarding Outcome, queued back from the probe thread
    metered_known = Signal(object)  # True, False or None, queued back from the probe thread

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
        open_url: Callable[[str], object] | None = None,
        metered: MeteredAsk | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.config = config
        self.tray = tray
        self.runner = runner
        self.sink = sink
        self.clock = clock
        self.open_url = open_url or _open_in_browser
        self.ask_metered = metered if metered is not None else _metered_here()
        self.metered: bool | None = None
        self.secrets = secrets
        self.history = history
        self.proxy_password: str | None = None
        self.state: MonitorState = monitor.initial(config.monitor, clock())
        self.details: Any = None  # the status window, made when first asked for
        self.observations: Observations | None = None  # the last check's, for the status window
        webhook = WebhookSink(
            runner.loop.submit, lambda: self.config.values, self._webhook_credentials, self.forwarded.emit
        )
        self.pipeline = Pipeline(
            settings=lambda: self.config.values,
            recorders=[HistorySink(history, clock)] if history is not None else [],
            sinks=[sink, webhook],
            clock=clock,
        )
        self._noticed_services: tuple[str, ...] = ()  # what the last outage notice was about
        # Read on the probe thread only (inside a cycle); replaced here only between cycles' reads.
        self.status_page = config.status_page()
        self.vantage = config.vantage()

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
        tray.mute.connect(self.mute)
        tray.show_details.connect(self.show_details)
        sink.action.connect(self._notification_action)
        self.forwarded.connect(self._forwarded)
        self.metered_known.connect(self._metered)

    def start(self) -> None:
        self._load_proxy_password()
        self._render()
        self.tick_timer.start()
        self._schedule()

    def stop(self) -> None:
        self.tick_timer.stop()
        self.check_timer.stop()
        if isinstance(self.ask_metered, NetworkManagerMetered):
            # Closed on its loop before the loop stops, rather than cancelled with it.
            with contextlib.suppress(Exception):
                self.runner.loop.submit(self.ask_metered.close()).result(self.ask_metered.timeout)

    def _tick(self) -> None:
        epoch = self.state.epoch
        self.state = monitor.tick(self.state, self.clock())
        if self.state.epoch != epoch:
            log.info("the clock jumped: the machine slept; checking again now")
        if self.pipeline.expire():
            self.pipeline.still_wrong(self.state)
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
        self.state, token = monitor.start_cycle(self.state, self.clock())
        if not self.state.in_doubt:
            # The pace of the checks to come follows the answer; a connection marked metered in
            # the system's settings changes nothing the network-change watch would see. Asked
            # once the cycle is under way, so that an answer given at once starts no other.
            self._check_metered()
        log.debug("starting check cycle %d", token)
        self._render()  # "Checking…", and Check now off until it ends
        self.runner.run(
            token,
            tiers.asked(self.state, self.config.catalog),
            self.config.probe_settings(self.proxy_password),
            self.status_page,
            looks_wrong=_looks_wrong(self.state),
            vantage=self.vantage,
            light=self.state.running_light,
        )

    def _cycle_finished(self, token: int, observations: Observations, verdict: Verdict | None) -> None:
        self.state, changes = monitor.cycle_done(self.state, token, verdict, self.clock())
        if verdict is None:
            log.info("light check saw a failure in %.0f ms: asking everything now", observations.duration_ms)
        else:
            if self.state.verdict is verdict:  # not a stale cycle
                self.observations = tiers.merged(self.observations, observations)
            log.info("check done in %.0f ms: %s (%s)", observations.duration_ms, verdict.kind.value, verdict.headline)
        for note in self.pipeline.changes(changes, self.state):
            if note.kind is NoteKind.OUTAGE:
                self._noticed_services = note.services
        self._render()
        if self.details is not None and self.details.isVisible():
            self._refresh_details()  # the status window follows every check
        self._schedule()

    def _cycle_failed(self, token: int, reason: str) -> None:
        self.state = monitor.cycle_failed(self.state, token, self.clock())
        self._schedule()

    def deliver(self, note: Notification) -> None:
        """Show ``note`` (about traywatch itself) through the same policy and sinks."""
        self.pipeline.publish([note], record=False)

    def _webhook_credentials(self, configured: str) -> Credentials:
        """Called off the GUI thread: the keyring may be slow to answer."""
        return webhook_credentials(self.secrets() if self.secrets is not None else None, configured)

    def _forwarded(self, outcome: Outcome) -> None:
        text = "" if outcome.ok else f"Forwarding failed at {monitor.clock_time(outcome.at)}: {outcome.detail}"
        self.tray.set_notice("forwarding", text or outcome.warning)

    def reconfigure(self, config: Config) -> None:
        """Take new settings at once, without a restart."""
        old = self.status_page
        self.config = config
        self.status_page = config.status_page()
        if old is not None and self.status_page is not None and self.status_page.same_source(old):
            self.status_page = old  # the same page: keep its last report and its schedule
        vantage = config.vantage()
        if vantage is None or self.vantage is None or not vantage.same_source(self.vantage):
            self.vantage = vantage  # a new source starts with a new budget; the same keeps its own
        self.state = monitor.reconfigure(self.state, replace(config.monitor, metered=bool(self.metered)), self.clock())
        self.tick_timer.setInterval(int(config.monitor.tick * 1000))
        self._load_proxy_password()
        log.info("settings applied")
        self.check_now()

    def _load_proxy_password(self) -> None:
        self.proxy_password = None
        reason = ""
        if self.config.needs_proxy_password and self.secrets is not None:
            store = self.secrets()
            try:
                stored = store.get("network.proxy_password") if store.available else None
            except Exception as exc:
                log.warning("proxy password unavailable: %s", type(exc).__name__)
                stored = None
            found = release(stored, self.config["network.proxy_url"], "proxy password", loopback_http=True)
            self.proxy_password, reason = found.secret, found.reason
        self.tray.set_notice("proxy", reason)

    def _render(self) -> None:
        self.tray.render(view(self.state, self.pipeline.quiet, self.clock()))

    def check_now(self) -> None:
        self.state = monitor.check_now(self.state, self.clock())
        self._schedule()

    def network_changed(self) -> None:
        log.info("the network changed; checking again now")
        self.state = monitor.network_changed(self.state, self.clock())
        self._schedule()  # the check it starts asks whether the new network is metered

    def _check_metered(self) -> None:
        """Ask the system whether the connection is metered: NetworkManager on the probe loop (D-Bus
        may be slow), Qt on this thread."""
        ask = self.ask_metered
        if ask is qt_metered:  # Qt's answer is read on this thread, at once
            self._metered(ask())
            return

        async def asking() -> None:
            answer = ask()
            self.metered_known.emit(await answer if inspect.isawaitable(answer) else answer)

        self.runner.loop.submit(asking())

    def _metered(self, metered: bool | None) -> None:
        if metered == self.metered:
            return  # asked again at each healthy check: only news is acted on
        self.metered = metered
        settings = replace(self.config.monitor, metered=bool(metered))
        self.state = monitor.reconfigure(self.state, settings, self.clock())
        self._schedule()
        every = monitor.format_duration(settings.healthy_interval)
        self.tray.set_notice("metered", f"Metered connection: checking every {every}" if metered else "")
        log.info("the connection is %s", "metered" if metered else "not known to be metered")

    def pause(self, how: str) -> None:
        now = self.clock()
        until = {
            PAUSE_HOUR: now + 3600,
            PAUSE_TOMORROW: monitor.tomorrow_morning(now),
            PAUSE_RESUME: None,
        }[how]
        was_paused = self.pipeline.quiet.paused(now)
        self.pipeline.pause(until)
        log.info("notifications paused until %s", until)
        if until is None and was_paused:
            self.pipeline.still_wrong(self.state)
        self._render()

    def mute(self, service_id: str, how: str) -> None:
        if how == UNMUTE:
            self.pipeline.unmute(service_id)
            self._render()
            return
        now = self.clock()
        until = {MUTE_HOUR: now + 3600, MUTE_8H: now + 8 * 3600, MUTE_BACK: UNTIL_BACK}[how]
        self.pipeline.mute(service_id, until)
        log.info("notifications about %s muted until %s", service_id, until or "it is back")
        self._render()

    def show_details(self) -> None:
        """The status window, made when first asked for, and brought to the front."""
        if self.details is None:
            from traywatch.ui.status_window import StatusWindow

            self.details = StatusWindow(self.tray.icons)
        self._refresh_details()
        self.details.show()
        self.details.raise_()
        self.details.activateWindow()
        log.info("status window shown")

    def _refresh_details(self) -> None:
        from traywatch.episodes import episodes

        if self.details is None:
            return
        found = episodes(self.history.recent(EVERY_LINE).events) if self.history is not None else []
        names = {c.id: c.name for c in self.config.catalog.controls}
        now = self.clock()
        self.details.update_status(
            view(self.state, self.pipeline.quiet, now),
            self.state.verdict,
            self.observations,
            found,
            now=now,
            control_names=names,
        )

    def _notification_action(self, action: str) -> None:
        if action == ACTION_PAUSE:
            self.pause(PAUSE_HOUR)
        elif action == ACTION_MUTE:
            for service_id in self._noticed_services:
                self.mute(service_id, MUTE_BACK)
        elif action == ACTION_PORTAL:
            self.open_sign_in_page()
        elif action in (ACTION_DETAILS, "default"):
            self.show_details()

    def open_sign_in_page(self) -> None:
        """Where the portal sent a check, or else a plain-http page that portals intercept."""
        verdict = self.state.verdict
        url = verdict.portal_url if verdict is not None and verdict.portal_url else sign_in_fallback(self.config)
        log.info("opening the sign-in page at %s", url.split("?")[0])
        self.open_url(url)


def _metered_here() -> MeteredAsk:
    """NetworkManager's word on Linux (over D-Bus, on the probe loop); Qt's elsewhere."""
    import sys

    if not sys.platform.startswith("linux"):
        return qt_metered
    return NetworkManagerMetered()


def _open_in_browser(url: str) -> bool:
    from PySide6.QtCore import QUrl
    from PySide6.QtGui import QDesktopServices

    return bool(QDesktopServices.openUrl(QUrl(url)))


def sign_in_fallback(config: Config) -> str:
    """A plain-http page a portal will intercept: the first plain-http control's."""
    for control in config.catalog.controls:
        if control.endpoint.scheme == "http":
            return control.endpoint.url
    return "http://detectportal.firefox.com/success.txt"


def _looks_wrong(state: MonitorState) -> bool:
    """Anything but all clear, confirmed or not: Meta's status page is then read more often."""
    verdict = state.verdict
    return state.in_doubt or bool(state.down) or (verdict is not None and verdict.kind is not VerdictKind.ALL_CLEAR)
