"""The settings dialog, built from the declared settings (traywatch/settings.py).

Each field is checked as it is typed and says why next to itself; OK and Apply are disabled while
anything is invalid. Cancel changes nothing. Apply saves (atomically), stores secrets in the
keyring, switches start-at-login, and hands the new config to the running app.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QLocale, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from traywatch import __version__
from traywatch.autostart import Autostart
from traywatch.catalog import Control, Service, shipped_catalog
from traywatch.config import Config, user_entries
from traywatch.configstore import CatalogEdits, save
from traywatch.errors import TraywatchError
from traywatch.paths import Paths
from traywatch.secretbind import BOUND_TO, is_secret_url, origin, pack, stash_secret_url, unpack
from traywatch.secretstore import SecretStore
from traywatch.settings import GROUP_NOTES, SECRET_KEYS, SETTINGS, Group, Kind, Setting, cross_check
from traywatch.ui.entry_editor import EntryEditor, Tester, describe_entry

log = logging.getLogger(__name__)

_ERROR_STYLE = "color: #b3261e;"
_HELP_STYLE = "color: palette(mid); font-size: small;"


class _Seconds(QDoubleSpinBox):
    """Seconds to a tenth, shown without a tenth that is nought: "60 s", "2.5 s"."""

    def textFromValue(self, value: float) -> str:
        locale = self.locale()  # a copy: "2,5 s" where a comma is the decimal point
        locale.setNumberOptions(locale.numberOptions() | QLocale.NumberOption.OmitGroupSeparator)
        return locale.toString(value, "f", 1).removesuffix(locale.decimalPoint() + "0")


class Field:
    """One setting's widget, its error line and its help, and how to read a value out of it.

    The error line keeps its place when empty, so an error never pushes the fields below it
    (and what is typed next lands where the user aimed)."""

    def __init__(self, setting: Setting, on_change: Callable[[], object]) -> None:
        self.setting = setting
        self.error = QLabel()
        self.error.setStyleSheet(_ERROR_STYLE)
        self.error.setObjectName(f"{setting.key}.error")
        policy = self.error.sizePolicy()
        policy.setRetainSizeWhenHidden(True)
        self.error.setSizePolicy(policy)
        self.error.setFixedHeight(self.error.fontMetrics().lineSpacing())
        self.error.hide()
        self.help = QLabel(setting.help)
        self.help.setObjectName(f"{setting.key}.help")
        self.help.setWordWrap(True)
        self.help.setStyleSheet(_HELP_STYLE)
        kind = setting.kind
        self.widget: QWidget
        if kind is Kind.BOOL:
            box = QCheckBox(setting.label)
            box.toggled.connect(on_change)
            self.widget = box
        elif kind is Kind.CHOICE:
            combo = QComboBox()
            for value, label in setting.choices:
                combo.addItem(label, value)
            combo.currentIndexChanged.connect(on_change)
            self.widget = combo
        elif kind in (Kind.INT, Kind.MILLISECONDS):
            spin = QSpinBox()
            spin.setRange(int(setting.minimum or 0), int(setting.maximum if setting.maximum is not None else 1_000_000))
            if kind is Kind.MILLISECONDS:
                spin.setSuffix(" ms")
            spin.valueChanged.connect(on_change)
            self.widget = spin
        elif kind is Kind.SECONDS:
            seconds = _Seconds()
            seconds.setDecimals(1)
            seconds.setRange(
                float(setting.minimum or 0), float(setting.maximum if setting.maximum is not None else 1e6)
            )
            seconds.setSuffix(" s")
            seconds.valueChanged.connect(on_change)
            self.widget = seconds
        else:
            line = QLineEdit()
            if kind is Kind.SECRET:
                line.setEchoMode(QLineEdit.EchoMode.Password)
            if kind is Kind.CLOCK:
                line.setPlaceholderText("HH:MM")
            line.textChanged.connect(on_change)
            self.widget = line
        if isinstance(self.widget, (QSpinBox, QDoubleSpinBox)):
            self.widget.setMaximumWidth(160)  # a number, not a paragraph
        self.widget.setObjectName(setting.key)
        self.widget.setAccessibleName(setting.label)
        self.widget.setAccessibleDescription(setting.help)
        self.widget.setToolTip(setting.help)

    def set_value(self, value: Any) -> None:
        if isinstance(self.widget, QCheckBox):
            self.widget.setChecked(bool(value))
        elif isinstance(self.widget, QComboBox):
            self.widget.setCurrentIndex(max(0, self.widget.findData(value)))
        elif isinstance(self.widget, QSpinBox):
            self.widget.setValue(int(value))
        elif isinstance(self.widget, QDoubleSpinBox):
            self.widget.setValue(float(value))
        elif isinstance(self.widget, QLineEdit):
            self.widget.setText(_format(self.setting, value))

    def read(self) -> tuple[Any, str | None]:
        """The value as typed, and why it is not acceptable (or None)."""
        if isinstance(self.widget, QCheckBox):
            value: Any = self.widget.isChecked()
        elif isinstance(self.widget, QComboBox):
            value = self.widget.currentData()
        elif isinstance(self.widget, QSpinBox):
            value = self.widget.value()
        elif isinstance(self.widget, QDoubleSpinBox):
            value = float(self.widget.value())
        else:
            assert isinstance(self.widget, QLineEdit)
            text = self.widget.text().strip() if self.setting.kind is not Kind.SECRET else self.widget.text()
            try:
                value = _parse(self.setting, text)
            except ValueError as exc:
                return text, str(exc)
        return value, self.setting.check(value)

    def show_problem(self, problem: str | None) -> None:
        self.error.setText(problem or "")
        self.error.setToolTip(problem or "")
        self.error.setVisible(bool(problem))
        self.widget.setAccessibleDescription(problem or self.setting.help)


# Fields that only mean something with a manual proxy.
_MANUAL_PROXY = ("network.proxy_url", "network.proxy_user", "network.proxy_password")


def _format(setting: Setting, value: Any) -> str:
    if setting.kind in (Kind.SECONDS,) and isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _parse(setting: Setting, text: str) -> Any:
    if setting.kind is Kind.INT or setting.kind is Kind.MILLISECONDS:
        try:
            return int(text)
        except ValueError:
            raise ValueError("expected a whole number") from None
    if setting.kind is Kind.SECONDS:
        try:
            return float(text)
        except ValueError:
            raise ValueError("expected a number of seconds") from None
    return text


class SettingsDialog(QDialog):
    applied = Signal(object)  # the new Config, after Apply or OK

    def __init__(
        self,
        config: Config,
        *,
        config_file: Path,
        paths: Paths,
        secrets: SecretStore,
        autostart: Autostart,
        tester: Tester | None = None,
        notifications: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("traywatch settings")
        self.config = config
        self.config_file = config_file
        self.paths = paths
        self.secrets = secrets
        self.autostart = autostart
        self.tester = tester
        self.notifications = notifications  # which notification server, for About
        self.fields: dict[str, Field] = {}
        self._secret_loaded: dict[str, str] = {}
        self._secret_origin: dict[str, str] = {}  # where each loaded secret may be sent
        self._selection_buttons: list[QPushButton] = []
        self._dirty_entries = False
        self.shipped = shipped_catalog()
        overlay = user_entries(config)
        self.entries: list[Service | Control] = [*overlay.services, *overlay.controls]
        self._original_ids = {e.id for e in self.entries}

        self.tabs = QTabWidget()
        for group in Group:
            scroll = QScrollArea()  # help under every field makes a long page: it scrolls, never squeezes
            scroll.setWidgetResizable(True)
            scroll.setFrameShape(QScrollArea.Shape.NoFrame)
            scroll.setWidget(self._group_tab(group))
            self.tabs.addTab(scroll, group.value)
        self.tabs.insertTab(1, self._services_tab(), "Services")
        self.tabs.addTab(self._about_tab(), "About")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok
            | QDialogButtonBox.StandardButton.Cancel
            | QDialogButtonBox.StandardButton.Apply
        )
        self.buttons.accepted.connect(self._ok)
        self.buttons.rejected.connect(self.reject)
        self.apply_button.clicked.connect(self.apply)
        self.status = QLabel()
        self.status.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self._load_values()
        self.revalidate()
        self.resize(620, 520)

    @property
    def ok_button(self) -> QPushButton:
        return self.buttons.button(QDialogButtonBox.StandardButton.Ok)

    @property
    def apply_button(self) -> QPushButton:
        return self.buttons.button(QDialogButtonBox.StandardButton.Apply)

    # Tabs

    def _group_tab(self, group: Group) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        if group in GROUP_NOTES:
            note = QLabel(GROUP_NOTES[group])
            note.setWordWrap(True)
            note.setObjectName(f"{group.name.lower()}.note")
            form.addRow(note)
        for setting in SETTINGS:
            if setting.group is not group:
                continue
            field = Field(setting, self.revalidate)
            self.fields[setting.key] = field
            column = QVBoxLayout()
            row = QHBoxLayout()
            row.addWidget(field.widget)
            if setting.kind is Kind.FILE:
                browse = QPushButton("Browse…")
                browse.setAccessibleName(f"Browse for {setting.label}")
                browse.clicked.connect(lambda _=False, f=field: self._browse(f))
                row.addWidget(browse)
            column.addLayout(row)
            column.addWidget(field.help)
            column.addWidget(field.error)
            if setting.kind is Kind.SECRET and not self.secrets.available:
                field.widget.setEnabled(False)
                note = QLabel(self.secrets.description)
                note.setWordWrap(True)
                note.setObjectName(f"{setting.key}.unavailable")
                column.addWidget(note)
            if setting.kind is Kind.BOOL:
                form.addRow(column)
            else:
                label = QLabel(f"{setting.label}:")
                label.setBuddy(field.widget)  # ties the label to the field for screen readers
                form.addRow(label, column)
        return page

    def _services_tab(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(QLabel("Meta services to watch:"))
        self.service_list = QListWidget()
        self.service_list.setAccessibleName("Meta services to watch")
        enabled = {s.id for s in self.config.catalog.services}
        for service in self.shipped.services:
            item = QListWidgetItem(service.name)
            item.setData(Qt.ItemDataRole.UserRole, service.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if service.id in enabled else Qt.CheckState.Unchecked)
            self.service_list.addItem(item)
        self.service_list.itemChanged.connect(lambda _item: self._mark_entries_dirty())
        layout.addWidget(self.service_list)
        layout.addWidget(QLabel("Independent checks that tell your connection from Meta's (built in):"))
        self.control_list = QListWidget()
        self.control_list.setObjectName("builtin-controls")
        self.control_list.setAccessibleName("Built-in independent checks")
        enabled_controls = {c.id for c in self.config.catalog.controls}
        for control in self.shipped.controls:
            item = QListWidgetItem(f"{control.name} ({control.operator})")
            item.setData(Qt.ItemDataRole.UserRole, control.id)
            item.setToolTip(control.endpoint.url)
            # Read-only but for switching off: they are someone else's, with documented answers.
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if control.id in enabled_controls else Qt.CheckState.Unchecked)
            self.control_list.addItem(item)
        self.control_list.itemChanged.connect(lambda _item: self._mark_entries_dirty())
        layout.addWidget(self.control_list)
        layout.addWidget(QLabel("Your own services and control endpoints:"))
        self.entry_list = QListWidget()
        self.entry_list.setAccessibleName("Your own services and control endpoints")
        layout.addWidget(self.entry_list)
        buttons = QHBoxLayout()
        for text, slot in (
            ("Add service…", lambda: self._edit_entry(None, "service")),
            ("Add control…", lambda: self._edit_entry(None, "control")),
            ("Edit…", self._edit_selected),
            ("Remove", self._remove_selected),
        ):
            button = QPushButton(text)
            button.clicked.connect(slot)
            button.setObjectName(f"entry-{text.rstrip('…').lower().replace(' ', '-')}")
            buttons.addWidget(button)
            if text in ("Edit…", "Remove"):
                self._selection_buttons.append(button)
        self.entry_list.currentRowChanged.connect(lambda _row: self._enable_selection_buttons())
        layout.addLayout(buttons)
        self._refresh_entries()
        return page

    def _about_tab(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        form.addRow("Version:", QLabel(__version__))
        for label, path in (
            ("Config file", self.config_file),
            ("Logs", self.paths.log_dir),
            ("State", self.paths.state_dir),
        ):
            row = QHBoxLayout()
            text = QLabel(str(path))
            text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            row.addWidget(text, 1)
            button = QPushButton("Open folder")
            button.setAccessibleName(f"Open the {label.lower()} folder")
            folder = path.parent if path.suffix else path
            button.clicked.connect(lambda _=False, f=folder: self._open_folder(f))
            row.addWidget(button)
            form.addRow(f"{label}:", row)
        form.addRow("Secrets:", QLabel(self.secrets.description))
        form.addRow("Start at login:", QLabel(self.autostart.description))
        if self.notifications:
            server = QLabel(self.notifications.removeprefix("Notifications: "))
            server.setObjectName("about-notifications")
            form.addRow("Notifications:", server)
        docs = _docs_folder()
        if docs is not None:
            link = QLabel(f'<a href="{docs.as_uri()}">How traywatch decides, and every setting</a>')
            link.setObjectName("about-docs")
            link.setOpenExternalLinks(True)
            form.addRow("Documentation:", link)
        return page

    # Values

    def _load_values(self) -> None:
        for key, field in self.fields.items():
            if field.setting.kind is Kind.SECRET:
                value = ""
                if self.secrets.available:
                    try:
                        value, saved_for = unpack(self.secrets.get(key) or "")
                        self._secret_origin[key] = saved_for or ""
                    except TraywatchError as exc:
                        field.show_problem(exc.message)
                self._secret_loaded[key] = value
                field.set_value(value)
            elif key == "general.start_at_login":
                field.set_value(self.autostart.is_enabled())
            else:
                field.set_value(self.config.values[key])

    def values(self) -> tuple[dict[str, Any], dict[str, str]]:
        """What the fields hold, and the problems: key -> reason."""
        values: dict[str, Any] = {}
        problems: dict[str, str] = {}
        for key, field in self.fields.items():
            value, problem = field.read()
            values[key] = value
            if problem:
                problems[key] = problem
        if not problems:
            # Each field has checked itself; what is left are the rules across fields.
            problems.update(cross_check(values))
        return values, problems

    def revalidate(self) -> bool:
        values, problems = self.values()
        manual = values.get("network.proxy") == "manual"
        for key in _MANUAL_PROXY:
            secret_unusable = key in SECRET_KEYS and not self.secrets.available
            self.fields[key].widget.setEnabled(manual and not secret_unusable)
        for key, field in self.fields.items():
            field.show_problem(problems.get(key))
        valid = not problems
        self.ok_button.setEnabled(valid)
        self.apply_button.setEnabled(valid)
        if not valid:
            first = next(iter(problems))
            self.status.setText(f"Fix {self.fields[first].setting.label.lower()}: {problems[first]}")
        else:
            self.status.setText("")
        return valid

    # Entries

    def _mark_entries_dirty(self) -> None:
        self._dirty_entries = True

    def _refresh_entries(self) -> None:
        self.entry_list.clear()
        for entry in self.entries:
            item = QListWidgetItem(describe_entry(entry))
            item.setData(Qt.ItemDataRole.UserRole, entry.id)
            self.entry_list.addItem(item)
        self._enable_selection_buttons()

    def _enable_selection_buttons(self) -> None:
        """Edit… and Remove act on a selected entry: with none, they are off."""
        chosen = 0 <= self.entry_list.currentRow() < len(self.entries)
        for button in self._selection_buttons:
            button.setEnabled(chosen)

    def _edit_selected(self) -> None:
        row = self.entry_list.currentRow()
        if 0 <= row < len(self.entries):
            entry = self.entries[row]
            self._edit_entry(entry, "control" if isinstance(entry, Control) else "service")

    def _edit_entry(self, entry: Service | Control | None, kind: str) -> None:
        taken = {e.id for e in self.entries if e is not entry} | {s.id for s in self.shipped.services}
        editor = EntryEditor(kind, entry, taken, self.tester, self)
        if editor.exec() != QDialog.DialogCode.Accepted or editor.result_entry is None:
            return
        if entry is None:
            self.entries.append(editor.result_entry)
        else:
            self.entries[self.entries.index(entry)] = editor.result_entry
        self._dirty_entries = True
        self._refresh_entries()

    def _remove_selected(self) -> None:
        row = self.entry_list.currentRow()
        if 0 <= row < len(self.entries):
            del self.entries[row]
            self._dirty_entries = True
            self._refresh_entries()

    def _edits(self) -> CatalogEdits | None:
        if not self._dirty_entries:
            return None
        toggles = {}
        for index in range(self.service_list.count()):
            item = self.service_list.item(index)
            toggles[item.data(Qt.ItemDataRole.UserRole)] = item.checkState() == Qt.CheckState.Checked
        current = {e.id for e in self.entries}
        control_toggles = {}
        for index in range(self.control_list.count()):
            item = self.control_list.item(index)
            control_toggles[item.data(Qt.ItemDataRole.UserRole)] = item.checkState() == Qt.CheckState.Checked
        return CatalogEdits(
            toggles=toggles,
            services=tuple(e for e in self.entries if isinstance(e, Service)),
            controls=tuple(e for e in self.entries if isinstance(e, Control)),
            removed=frozenset(self._original_ids - current),
            control_toggles=control_toggles,
        )

    # Actions

    def _keep_secret_url(self, values: dict[str, Any]) -> None:
        """A webhook URL that is a credential goes to the keyring; the file keeps its origin."""
        url = str(values.get("forwarding.url", ""))
        if not is_secret_url(url):
            return
        kept_in_file = stash_secret_url(self.secrets, url)
        if kept_in_file is None:
            raise TraywatchError(
                "Not saved", "This webhook address is a password in itself, and there is no keyring to keep it in."
            )
        values["forwarding.url"] = kept_in_file
        self.fields["forwarding.url"].set_value(kept_in_file)

    def apply(self) -> bool:
        if not self.revalidate():
            return False
        values, _ = self.values()
        try:
            self._keep_secret_url(values)
            for key in [k for k in values if k in SECRET_KEYS]:
                secret = values.pop(key)
                # Tied to the address beside it: changed here, by you, it moves with it.
                bound = values.get(BOUND_TO.get(key, ""), "")
                moved = origin(str(bound)) != self._secret_origin.get(key, "")
                if (secret != self._secret_loaded.get(key, "") or (secret and moved)) and self.secrets.available:
                    self.secrets.set(key, pack(secret, str(bound)) if secret else "")
                    self._secret_loaded[key] = secret
                    self._secret_origin[key] = origin(str(bound))
            start = bool(values.pop("general.start_at_login"))
            if start != self.autostart.is_enabled():
                self.autostart.enable() if start else self.autostart.disable()
            values["general.start_at_login"] = start
            config = save(self.config_file, values, self._edits())
        except TraywatchError as exc:
            self.status.setText(f"{exc.title}: {exc.message}")
            log.warning("settings not saved: %s", exc.title)
            return False
        except OSError as exc:
            self.status.setText(f"Could not save {self.config_file}: {exc.strerror}")
            return False
        self.config = config
        self._original_ids = {e.id for e in self.entries}
        self._dirty_entries = False
        self.status.setText("Saved.")
        self.applied.emit(config)
        return True

    def _ok(self) -> None:
        if self.apply():
            self.accept()

    def _browse(self, field: Field) -> None:
        path, _ = QFileDialog.getOpenFileName(self, field.setting.label, str(Path.home()), "PEM (*.pem *.crt);;All (*)")
        if path:
            field.set_value(path)

    def _open_folder(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))


def _docs_folder() -> Path | None:
    """The docs beside the package (a checkout or an install that ships them), if there."""
    for folder in (Path(__file__).resolve().parents[2] / "docs", Path(sys.prefix) / "share" / "doc" / "traywatch"):
        if (folder / "verdicts.md").is_file():
            return folder
    return None
