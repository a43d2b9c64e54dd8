"""Small windows: the details of the last check, and where settings live."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QMessageBox, QPlainTextEdit, QVBoxLayout, QWidget

from traywatch.monitor import View


def details_text(view: View, evidence: tuple[str, ...]) -> str:
    lines = [view.headline, view.explanation, ""]
    lines += [f"{row.name:<12} {row.state:<8} {row.layer:<5} {row.latency}" for row in view.rows]
    if evidence:
        lines += ["", "Evidence:", *(f"  {line}" for line in evidence)]
    if view.checked_at is not None:
        when = dt.datetime.fromtimestamp(view.checked_at).astimezone().strftime("%Y-%m-%d %H:%M:%S")
        lines += ["", f"Last checked {when}"]
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

    def show_view(self, view: View, evidence: tuple[str, ...]) -> None:
        self.headline.setText(f"<b>{view.headline}</b>")
        self.text.setPlainText(details_text(view, evidence))
        self.show()
        self.raise_()
        self.activateWindow()


def show_settings_placeholder(config_file: Path, parent: QWidget | None = None) -> None:
    """Until the settings dialog exists: say where the config file is and offer to open it."""
    box = QMessageBox(parent)
    box.setWindowTitle("traywatch settings")
    box.setText("Settings are read from a TOML file; changes apply at the next start.")
    box.setInformativeText(f"{config_file}\n\nSee docs/catalog.md for what it can hold.")
    open_button = box.addButton("Open folder", QMessageBox.ButtonRole.ActionRole)
    box.addButton(QMessageBox.StandardButton.Close)
    box.exec()
    if box.clickedButton() is open_button:
        config_file.parent.mkdir(parents=True, exist_ok=True)
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(config_file.parent)))
