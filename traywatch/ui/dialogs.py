"""The details window: the last check's verdict, rows and evidence, and what happened lately."""

from __future__ import annotations

import datetime as dt

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from traywatch.history import Event, describe
from traywatch.view import View


def details_text(view: View, evidence: tuple[str, ...], recent: tuple[Event, ...] = ()) -> str:
    lines = [view.headline, view.explanation, ""]
    lines += [f"{row.name:<12} {row.state:<8} {row.layer:<5} {row.latency}" for row in view.rows]
    if evidence:
        lines += ["", "Evidence:", *(f"  {line}" for line in evidence)]
    if view.checked_at is not None:
        when = dt.datetime.fromtimestamp(view.checked_at).astimezone().strftime("%Y-%m-%d %H:%M:%S")
        lines += ["", f"Last checked {when}"]
    if recent:
        lines += ["", "Recent events:", *(f"  {describe(event)}" for event in reversed(recent))]
    return "\n".join(lines)


class DetailsDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("traywatch — details")
        self.headline = QLabel()
        self.headline.setWordWrap(True)
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setAccessibleName("Details of the last check")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.headline)
        layout.addWidget(self.text)
        layout.addWidget(buttons)
        self.resize(560, 360)

    def show_view(self, view: View, evidence: tuple[str, ...], recent: tuple[Event, ...] = ()) -> None:
        self.headline.setText(f"<b>{view.headline}</b>")
        self.text.setPlainText(details_text(view, evidence, recent))
        self.show()
        self.raise_()
        self.activateWindow()
