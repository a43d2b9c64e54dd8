"""Add or edit one of the user's own services or control endpoints, with a "Test now" button.

The fields are checked by the same reader that reads config.toml, so the dialog cannot accept
what the file would refuse.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from traywatch.catalog import Control, Service, read_overlay
from traywatch.errors import ConfigError
from traywatch.tomlreader import Node, TomlDocument

EDITOR_WIDTH = 560  # pixels

# Runs a probe of the entry off the GUI thread and reports one line of result through the callback.
Tester = Callable[[Service | Control, Callable[[str], None]], None]


_DIGITS = re.compile(r"[0-9]{1,9}")  # the range is the config's to check, in its own words


def describe_entry(entry: Service | Control) -> str:
    if isinstance(entry, Control):
        return f"Control · {entry.name} · {entry.endpoint.url}"
    return f"Service · {entry.name} · {', '.join(e.url for e in entry.endpoints)}"


def entry_id(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "entry"


def build_entry(kind: str, fields: dict[str, str]) -> Service | Control:
    """An entry from the editor's text fields; raises ConfigError saying what is wrong."""
    table: dict[str, Any] = {"id": fields["id"], "name": fields["name"] or fields["id"]}
    endpoint: dict[str, Any] = {"url": fields["url"]}
    statuses = [s for s in re.split(r"[,\s]+", fields["status"]) if s]
    if statuses:
        if not all(_DIGITS.fullmatch(s) for s in statuses):  # str.isdigit takes "²", which int() refuses
            raise ConfigError("", "expected status", "expected HTTP status codes separated by commas, like 200, 204")
        endpoint["expect_status"] = [int(s) for s in statuses]
    if fields["body"]:
        endpoint["expect_body"] = fields["body"]
        endpoint["body_match"] = fields["match"]
    if kind == "control":
        table.update(endpoint)
        document = {"control": [table]}
    else:
        domains = [d for d in re.split(r"[,\s]+", fields["domains"]) if d]
        if domains:
            table["domains"] = domains
        endpoint.update(id="web", role="web" if fields["url"].startswith("http") else "edge")
        table["endpoint"] = [endpoint]
        document = {"service": [table]}
    overlay = read_overlay(Node(TomlDocument("settings", ""), document, ()))
    return overlay.controls[0] if kind == "control" else overlay.services[0]


class _ResultBridge(QObject):
    arrived = Signal(str)  # queued from the probe thread to the dialog


class EntryEditor(QDialog):
    def __init__(
        self,
        kind: str,
        entry: Service | Control | None,
        taken_ids: set[str],
        tester: Tester | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.kind = kind
        self.taken_ids = taken_ids
        self.tester = tester
        self.result_entry: Service | Control | None = None
        self.setWindowTitle(f"{'Control endpoint' if kind == 'control' else 'Service'}")
        self.name = QLineEdit()
        self.url = QLineEdit()
        self.status = QLineEdit()
        self.body = QLineEdit()
        self.match = QComboBox()
        for value in ("prefix", "exact", "contains"):
            self.match.addItem(value, value)
        self.domains = QLineEdit()
        self.error = QLabel()
        self.error.setStyleSheet("color: #b3261e;")
        self.error.setWordWrap(True)
        policy = self.error.sizePolicy()
        policy.setRetainSizeWhenHidden(True)  # an error appearing moves nothing
        self.error.setSizePolicy(policy)
        self._touched = entry is not None  # no error before the user has typed anything
        self.test_result = QLabel()
        self.test_result.setWordWrap(True)
        self.test_result.setAccessibleName("Test result")
        self.test_button = QPushButton("Test now")
        self.test_button.clicked.connect(self._test)
        self.test_button.setEnabled(tester is not None)
        self._bridge = _ResultBridge(self)
        self._bridge.arrived.connect(self._show_result)

        form = QFormLayout()
        rows: list[tuple[str, QWidget, str]] = [
            ("Name", self.name, "What to call it"),
            ("URL", self.url, "http(s)://, or tls://host:port and tcp://host:port for a messaging edge"),
            ("Expected status", self.status, "HTTP codes separated by commas; empty for the usual"),
            ("Expected body", self.body, "Text the answer must have; empty for any"),
            ("Body match", self.match, "How the expected body is compared"),
        ]
        if kind == "service":
            rows.append(("Domains", self.domains, "Domains it may redirect to, separated by commas"))
        for label_text, widget, help_text in rows:
            label = QLabel(f"{label_text}:")
            label.setBuddy(widget)
            widget.setAccessibleName(label_text)
            widget.setToolTip(help_text)
            form.addRow(label, widget)
            if isinstance(widget, QLineEdit):
                widget.textEdited.connect(self._edited)
                widget.textChanged.connect(self.revalidate)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.test_button)
        layout.addWidget(self.test_result)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(EDITOR_WIDTH)  # a whole URL fits, not only its tail
        if entry is not None:
            self._fill(entry)
        self.revalidate()

    def _edited(self, _text: str) -> None:
        self._touched = True
        self.revalidate()

    def _fill(self, entry: Service | Control) -> None:
        endpoint = entry.endpoint if isinstance(entry, Control) else entry.endpoints[0]
        self.name.setText(entry.name)
        self.url.setText(endpoint.url)
        self.status.setText(", ".join(map(str, endpoint.expect_status)))
        self.body.setText(endpoint.expect_body or "")
        self.match.setCurrentIndex(max(0, self.match.findData(endpoint.body_match.value)))
        if isinstance(entry, Service):
            self.domains.setText(", ".join(entry.domains))
        self._id = entry.id

    def fields(self) -> dict[str, str]:
        name = self.name.text().strip()
        return {
            "id": getattr(self, "_id", None) or entry_id(name),
            "name": name,
            "url": self.url.text().strip(),
            "status": self.status.text().strip(),
            "body": self.body.text(),
            "match": str(self.match.currentData()),
            "domains": self.domains.text().strip(),
        }

    def revalidate(self) -> Service | Control | None:
        problem = ""
        entry: Service | Control | None = None
        fields = self.fields()
        if not fields["name"]:
            problem = "Give it a name."
        elif fields["id"] in self.taken_ids:
            problem = f"The name {fields['name']!r} is already used."
        else:
            try:
                entry = build_entry(self.kind, fields)
            except ConfigError as exc:
                problem = exc.problem
        self.error.setText(problem)
        self.error.setVisible(bool(problem) and self._touched)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(entry is not None)
        self.test_button.setEnabled(entry is not None and self.tester is not None)
        return entry

    def _test(self) -> None:
        entry = self.revalidate()
        if entry is None or self.tester is None:
            return
        self.test_result.setText("Testing…")
        self.test_button.setEnabled(False)
        self.tester(entry, self._bridge.arrived.emit)

    def _show_result(self, text: str) -> None:
        self.test_result.setText(text)
        self.test_button.setEnabled(True)

    def _accept(self) -> None:
        entry = self.revalidate()
        if entry is not None:
            self.result_entry = entry
            self.accept()
