"""The status window: what is wrong now (in words, with the evidence a click away), every service
and independent check in a table, a timeline of the last day or week, uptime with your own
connection's trouble left out, and a diagnosis to copy. Refreshed after every check."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QGuiApplication, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from traywatch.diagnosis import diagnosis
from traywatch.episodes import YOUR_SIDE, Episode, uptime
from traywatch.model import Observations, ProbeResult
from traywatch.monitor import format_duration
from traywatch.ui.icons import IconSet
from traywatch.verdict import Verdict, describe
from traywatch.view import Display, View
from traywatch.words import failure, say

DAY = 86400.0
_KIND_COLOURS = {"down": "#c62828", "blocked": "#546e7a", "your_side": "#90a4ae"}


def _problem_words(probe: ProbeResult) -> str:
    """ "Servers are not answering.": the words of a notice, said of one row."""
    words = failure(probe)
    return f"{words[:1].upper()}{words[1:]}." if words else "Isn't working."


@dataclass(frozen=True)
class Lane:
    label: str
    spans: tuple[tuple[float, float, str], ...]  # start, end, kind: within the timeline's window


def lanes(found: Sequence[Episode], services: Sequence[tuple[str, str]], start: float, end: float) -> list[Lane]:
    """One lane per service and one for your connection, each with its episodes clipped to the
    window: what the timeline draws."""

    def spans(service: str) -> tuple[tuple[float, float, str], ...]:
        out = []
        for e in found:
            if e.service != service:
                continue
            a, b = max(e.start, start), min(e.end if e.end is not None else end, end)
            if b > a:
                out.append((a, b, e.kind))
        return tuple(out)

    return [*(Lane(name, spans(sid)) for sid, name in services), Lane("Your connection", spans(YOUR_SIDE))]


class Timeline(QWidget):
    """Lanes of coloured spans over the window; painted by hand, with no chart library."""

    ROW = 18
    LABEL = 120

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lanes: list[Lane] = []
        self.start = 0.0
        self.end = 1.0
        self.setAccessibleName("Timeline of episodes")
        self.setMinimumHeight(self.ROW * 3)

    def set_lanes(self, lanes_: list[Lane], start: float, end: float) -> None:
        self.lanes, self.start, self.end = lanes_, start, end
        self.setMinimumHeight(self.ROW * (len(lanes_) + 1))
        self.setToolTip(self._summary())
        self.update()

    def _summary(self) -> str:
        parts = []
        for lane in self.lanes:
            total = sum(b - a for a, b, _ in lane.spans)
            if total:
                parts.append(f"{lane.label}: {format_duration(total)} in {len(lane.spans)} episode(s)")
        return "\n".join(parts) or "Nothing went wrong in this time."

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        width = max(1.0, self.width() - self.LABEL - 8.0)
        span = max(1.0, self.end - self.start)
        text = self.palette().windowText().color()
        for row, lane in enumerate(self.lanes):
            top = row * self.ROW + 2.0
            painter.setPen(text)
            painter.drawText(QRectF(0, top, self.LABEL - 6, self.ROW - 4), Qt.AlignmentFlag.AlignVCenter, lane.label)
            track = QRectF(self.LABEL, top + 3, width, self.ROW - 10)
            painter.fillRect(track, QColor("#e8f5e9"))
            for a, b, kind in lane.spans:
                x = self.LABEL + (a - self.start) / span * width
                w = max(2.0, (b - a) / span * width)
                painter.fillRect(QRectF(x, top + 3, w, self.ROW - 10), QColor(_KIND_COLOURS.get(kind, "#c62828")))
        painter.setPen(text)
        bottom = len(self.lanes) * self.ROW + 12.0
        for share, anchor in ((0.0, Qt.AlignmentFlag.AlignLeft), (1.0, Qt.AlignmentFlag.AlignRight)):
            moment = dt.datetime.fromtimestamp(self.start + share * span).astimezone()
            label = moment.strftime("%a %H:%M")
            painter.drawText(
                QRectF(self.LABEL + share * width - (120 if share else 0), bottom - 10, 120, 14), anchor, label
            )
        painter.end()


def fitted(available: QRect) -> QSize:
    """The window's size on a screen with ``available`` room: 720 × 640, less where the screen is
    smaller, leaving room for the title bar."""
    return QSize(min(720, available.width()), min(640, available.height() - 40))


class StatusWindow(QDialog):
    def __init__(self, icons: IconSet, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.icons = icons
        self.setWindowTitle("traywatch — status")
        self.setObjectName("status-window")
        self.icon = QLabel()
        self.headline = QLabel()
        self.headline.setObjectName("status-headline")
        self.headline.setTextFormat(Qt.TextFormat.PlainText)
        font = self.headline.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.2)
        self.headline.setFont(font)
        self.reason = QLabel()
        self.reason.setObjectName("status-reason")
        self.reason.setTextFormat(Qt.TextFormat.PlainText)
        self.reason.setWordWrap(True)
        self.checked = QLabel()

        self.table = QTableWidget(0, 4)
        self.table.setObjectName("status-table")
        self.table.setHorizontalHeaderLabels(["", "State", "What happened", "Time"])
        self.table.verticalHeader().setVisible(True)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        for column in (0, 1, 3):  # icon, state and time on one line; what happened takes the rest and wraps
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.setWordWrap(True)
        # Rows follow their text as the window is resized: a reason that wraps is shown whole.
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.table.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.table.setAccessibleName("Services and independent checks")

        self.toggle = QToolButton()
        self.toggle.setText("Technical details")
        self.toggle.setCheckable(True)
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.technical = QPlainTextEdit()
        self.technical.setObjectName("status-technical")
        self.technical.setReadOnly(True)
        self.technical.setVisible(False)
        self.toggle.toggled.connect(self._show_technical)

        self.timeline = Timeline()
        self.day = QRadioButton("Last 24 hours")
        self.week = QRadioButton("Last 7 days")
        self.day.setChecked(True)
        self.range = QButtonGroup(self)
        self.range.addButton(self.day)
        self.range.addButton(self.week)
        self.day.toggled.connect(lambda _on: self._draw_timeline())
        self.uptime = QTableWidget(0, 3)
        self.uptime.setObjectName("status-uptime")
        self.uptime.setHorizontalHeaderLabels(["24 hours", "7 days", "30 days"])
        self.uptime.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.uptime.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        self.uptime.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.your_side = QLabel()
        self.your_side.setObjectName("status-your-side")

        self.copy = QPushButton("Copy diagnosis")
        self.copy.setToolTip("A plain-text summary for a help chat: no passwords, no folder names")
        self.copy.clicked.connect(self.copy_diagnosis)
        close = QPushButton("Close")
        close.clicked.connect(self.close)

        top = QHBoxLayout()
        top.addWidget(self.icon)
        words = QVBoxLayout()
        words.addWidget(self.headline)
        words.addWidget(self.reason)
        top.addLayout(words, 1)
        ranges = QHBoxLayout()
        ranges.addWidget(QLabel("Timeline:"))
        ranges.addWidget(self.day)
        ranges.addWidget(self.week)
        ranges.addStretch(1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.copy)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 2)
        layout.addWidget(self.checked)
        layout.addWidget(self.toggle)
        layout.addWidget(self.technical, 1)
        layout.addLayout(ranges)
        layout.addWidget(self.timeline)
        layout.addWidget(QLabel("Uptime (time your own connection was down left out):"))
        layout.addWidget(self.uptime, 1)
        layout.addWidget(self.your_side)
        layout.addLayout(buttons)
        self.resize(fitted(self.screen().availableGeometry()))
        self._verdict: Verdict | None = None
        self._checked_at: float | None = None
        self._episodes: list[Episode] = []
        self._services: list[tuple[str, str]] = []
        self._now = 0.0

    def _show_technical(self, on: bool) -> None:
        self.technical.setVisible(on)
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if on else Qt.ArrowType.RightArrow)

    def update_status(
        self,
        view: View,
        verdict: Verdict | None,
        observations: Observations | None,
        found: Sequence[Episode],
        *,
        now: float,
        control_names: dict[str, str] | None = None,
    ) -> None:
        """Show the latest: called after every check while the window is open."""
        self._verdict, self._checked_at, self._episodes, self._now = verdict, view.checked_at, list(found), now
        self._services = [(row.service_id, row.name) for row in view.rows]
        self.icon.setPixmap(self.icons[view.display].pixmap(48, 48))
        self.headline.setText(view.headline)
        self.reason.setText(say(verdict) if verdict is not None else view.explanation)
        when = dt.datetime.fromtimestamp(view.checked_at).astimezone() if view.checked_at is not None else None
        self.checked.setText("Checking…" if view.checking else f"Last checked {when:%H:%M:%S}" if when else "")
        self._fill_table(view, verdict, observations, control_names or {})
        technical = [verdict.explanation, "", *verdict.evidence] if verdict is not None else []
        self.technical.setPlainText("\n".join(technical))
        self._draw_timeline()
        self._fill_uptime()

    def _fill_table(
        self, view: View, verdict: Verdict | None, observations: Observations | None, names: dict[str, str]
    ) -> None:
        failing = {s.id: s.failing for s in verdict.services} if verdict is not None else {}
        controls = observations.controls if observations is not None else ()
        self.table.setRowCount(len(view.rows) + len(controls))
        labels = []
        for row_index, row in enumerate(view.rows):
            labels.append(row.name)
            probes = failing.get(row.service_id, ())
            happened = _problem_words(probes[0]) if probes and row.state in ("down", "blocked") else "—"
            latency = row.latency if row.state in ("up", "slow") else "–"
            self._set_row(row_index, row.display, row.words, happened, latency)
        for offset, probe in enumerate(controls):
            labels.append(names.get(probe.target_id, probe.target_id))
            display = Display.ALL_CLEAR if probe.ok else Display.YOUR_SIDE
            state = "answers" if probe.ok else "fails"
            happened = "—" if probe.ok else describe(probe)
            latency = f"{probe.latency_ms:.0f} ms" if probe.ok else "–"
            self._set_row(len(view.rows) + offset, display, state, happened, latency)
        self.table.setVerticalHeaderLabels(labels)

    def _set_row(self, row: int, display: Display, state: str, happened: str, latency: str) -> None:
        icon = QTableWidgetItem()
        icon.setIcon(self.icons[display])
        self.table.setItem(row, 0, icon)
        for column, text in ((1, state), (2, happened), (3, latency)):
            self.table.setItem(row, column, QTableWidgetItem(text))

    def _draw_timeline(self) -> None:
        span = DAY if self.day.isChecked() else 7 * DAY
        self.timeline.set_lanes(
            lanes(self._episodes, self._services, self._now - span, self._now), self._now - span, self._now
        )

    def _fill_uptime(self) -> None:
        self.uptime.setRowCount(len(self._services))
        self.uptime.setVerticalHeaderLabels([name for _, name in self._services])
        for row, (sid, _) in enumerate(self._services):
            for column, days in enumerate((1, 7, 30)):
                share = uptime(self._episodes, sid, self._now - days * DAY, self._now).share
                text = "no data" if share is None else f"{share * 100:.2f} %".replace(".00 %", " %")
                self.uptime.setItem(row, column, QTableWidgetItem(text))
        mine = uptime(self._episodes, YOUR_SIDE, self._now - DAY, self._now).your_side
        self.your_side.setText(
            f"Your connection was down {format_duration(mine)} in the last 24 hours."
            if mine
            else "Your connection had no trouble in the last 24 hours."
        )

    def diagnosis_text(self) -> str:
        names = dict(self._services)
        return diagnosis(self._verdict, self._checked_at, self._episodes, self._now, names=names)

    def copy_diagnosis(self) -> None:
        QGuiApplication.clipboard().setText(self.diagnosis_text())
        self.copy.setText("Copied")
