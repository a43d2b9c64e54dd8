"""The settings dialog, driven as a user would: typing, tabbing, OK, Cancel and Apply."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QLocale, QPoint, Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QDialog, QDoubleSpinBox, QLabel, QLineEdit, QSpinBox
from pytestqt.qtbot import QtBot

from tests import servers
from tests.desktop import Desktop
from tests.servers import LocalServer
from traywatch.autostart import XdgAutostart
from traywatch.config import load_config
from traywatch.configstore import load_or_recover
from traywatch.errors import ConfigError
from traywatch.loop_thread import LoopThread
from traywatch.paths import Paths
from traywatch.secretstore import NullStore, SecretStore, open_secret_store
from traywatch.settings import SETTINGS, Kind
from traywatch.ui.entry_editor import EntryEditor, build_entry
from traywatch.ui.session import make_tester
from traywatch.ui.settings_dialog import SettingsDialog


@pytest.fixture
def paths(tmp_path: Path) -> Paths:
    return Paths(tmp_path / "config", tmp_path / "state", tmp_path / "log")


def make_dialog(qtbot: QtBot, paths: Paths, secrets: SecretStore | None = None, **kwargs: object) -> SettingsDialog:
    loaded = load_or_recover(paths.config_file)
    dialog = SettingsDialog(
        loaded.config,
        config_file=paths.config_file,
        paths=paths,
        secrets=secrets or NullStore("No secure system keyring is available (test)."),
        autostart=XdgAutostart(paths.config_dir.parent / "xdg", ["/usr/bin/python3", "-m", "traywatch"]),
        **kwargs,  # type: ignore[arg-type]
    )
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def line(dialog: SettingsDialog, key: str) -> QLineEdit:
    widget = dialog.fields[key].widget
    assert isinstance(widget, QLineEdit)
    return widget


def type_into(qtbot: QtBot, widget: QLineEdit, text: str) -> None:
    widget.selectAll()
    widget.del_()
    qtbot.keyClicks(widget, text)


def spin(dialog: SettingsDialog, key: str) -> QSpinBox | QDoubleSpinBox:
    widget = dialog.fields[key].widget
    assert isinstance(widget, (QSpinBox, QDoubleSpinBox))
    return widget


def test_invalid_input_shows_reason_and_disables_ok_without_moving_anything(qtbot: QtBot, paths: Paths) -> None:
    dialog = make_dialog(qtbot, paths)
    dialog.tabs.setCurrentIndex([dialog.tabs.tabText(i) for i in range(dialog.tabs.count())].index("Forwarding"))
    field = line(dialog, "forwarding.url")
    below = dialog.fields["forwarding.format"].widget
    qtbot.waitUntil(below.isVisible, timeout=2000)
    before = below.mapTo(dialog, QPoint(0, 0))
    type_into(qtbot, field, "ftp://x")
    error = dialog.fields["forwarding.url"].error
    assert error.isVisible() and error.text() == "expected a URL starting with http:// or https://"
    assert not dialog.ok_button.isEnabled() and not dialog.apply_button.isEnabled()
    assert field.accessibleDescription() == error.text()  # read out by screen readers
    qtbot.wait(50)
    assert below.mapTo(dialog, QPoint(0, 0)) == before  # the field below did not move
    type_into(qtbot, field, "https://ntfy.sh/x")
    assert not error.isVisible() and dialog.ok_button.isEnabled()
    assert below.mapTo(dialog, QPoint(0, 0)) == before


def test_numbers_are_spin_boxes_with_units_and_bounds(qtbot: QtBot, paths: Paths) -> None:
    dialog = make_dialog(qtbot, paths)
    interval = spin(dialog, "general.interval")
    assert interval.suffix() == " s" and (interval.minimum(), interval.maximum()) == (1, 86400)
    assert spin(dialog, "network.slow_ms").suffix() == " ms"
    failures = spin(dialog, "general.confirm_failures")
    assert isinstance(failures, QSpinBox) and (failures.minimum(), failures.maximum()) == (1, 20)
    interval.setFocus()
    interval.selectAll()
    qtbot.keyClicks(interval, "nan")  # not a number: the box does not take it
    assert interval.value() == 60.0
    # Whole seconds read as such ("60 s", not "60.0 s"); a tenth is kept where one is typed.
    assert interval.text() == "60 s" and spin(dialog, "general.hold_down").text() == "600 s"
    timeout = spin(dialog, "network.timeout")
    timeout.setValue(2.5)
    assert timeout.text() == "2.5 s"
    timeout.selectAll()
    qtbot.keyClicks(timeout, "7")
    assert timeout.value() == 7.0 and timeout.text() == "7 s"
    timeout.setLocale(QLocale("de_DE"))
    timeout.setValue(2.5)
    assert timeout.text() == "2,5 s"
    interval.setValue(86400)
    assert interval.text() == "86400 s"  # no thousands separator to trip over when typing
    help_text = dialog.findChild(QLabel, "general.interval.help")
    assert help_text is not None and help_text.text() == "Seconds between checks. Once a minute is polite."


def test_cross_field_rule_is_shown_at_the_field(qtbot: QtBot, paths: Paths) -> None:
    dialog = make_dialog(qtbot, paths)
    combo = dialog.fields["network.proxy"].widget
    assert isinstance(combo, QComboBox)
    assert not line(dialog, "network.proxy_url").isEnabled()  # only a manual proxy has a URL
    combo.setCurrentIndex(combo.findData("manual"))
    assert line(dialog, "network.proxy_url").isEnabled()
    assert dialog.fields["network.proxy_url"].error.text() == "a manual proxy needs a URL"
    assert not dialog.ok_button.isEnabled()
    type_into(qtbot, line(dialog, "network.proxy_url"), "http://proxy.example:3128")
    assert dialog.ok_button.isEnabled()


def test_every_field_is_labelled_for_assistive_technology(qtbot: QtBot, paths: Paths) -> None:
    dialog = make_dialog(qtbot, paths)
    buddies = {label.buddy() for label in dialog.findChildren(QLabel) if label.buddy() is not None}
    for setting in SETTINGS:
        widget = dialog.fields[setting.key].widget
        assert widget.accessibleName() == setting.label
        assert widget.toolTip() == setting.help
        if setting.kind is not Kind.BOOL:
            assert widget in buddies, setting.key


def test_tab_moves_through_the_fields(qtbot: QtBot, paths: Paths) -> None:
    dialog = make_dialog(qtbot, paths)
    dialog.activateWindow()
    qtbot.waitExposed(dialog)
    first = spin(dialog, "general.interval")
    first.setFocus()
    qtbot.waitUntil(first.hasFocus, timeout=2000)
    qtbot.keyClick(first, Qt.Key.Key_Tab)
    assert spin(dialog, "general.recheck").hasFocus()
    qtbot.keyClick(spin(dialog, "general.recheck"), Qt.Key.Key_Tab)
    assert spin(dialog, "general.confirm_failures").hasFocus()


def test_apply_saves_and_takes_effect(qtbot: QtBot, paths: Paths) -> None:
    dialog = make_dialog(qtbot, paths)
    spin(dialog, "general.interval").setValue(90)
    spin(dialog, "network.timeout").setValue(3.5)
    with qtbot.waitSignal(dialog.applied, timeout=2000) as blocker:
        qtbot.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)
    config = blocker.args[0]
    assert config.monitor.interval == 90 and config.check.timeout == 3.5
    text = paths.config_file.read_text()
    assert "interval = 90.0" in text and "timeout = 3.5" in text
    assert load_config(paths.config_file).monitor.interval == 90
    assert dialog.isVisible()  # Apply keeps the dialog open


def test_cancel_leaves_everything_as_it_was(qtbot: QtBot, paths: Paths) -> None:
    paths.config_dir.mkdir(parents=True)
    paths.config_file.write_text("version = 2\n[general]\ninterval = 45 # mine\n")
    dialog = make_dialog(qtbot, paths)
    assert spin(dialog, "general.interval").value() == 45
    spin(dialog, "general.interval").setValue(300)
    qtbot.mouseClick(dialog.buttons.button(dialog.buttons.StandardButton.Cancel), Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    assert paths.config_file.read_text() == "version = 2\n[general]\ninterval = 45 # mine\n"


def test_ok_saves_and_closes(qtbot: QtBot, paths: Paths) -> None:
    dialog = make_dialog(qtbot, paths)
    box = dialog.fields["general.notify_recovery"].widget
    assert isinstance(box, QCheckBox)
    box.setChecked(False)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    assert load_config(paths.config_file)["general.notify_recovery"] is False


def test_start_at_login_writes_and_removes_the_autostart_entry(qtbot: QtBot, paths: Paths) -> None:
    dialog = make_dialog(qtbot, paths)
    box = dialog.fields["general.start_at_login"].widget
    assert isinstance(box, QCheckBox)
    box.setChecked(True)
    assert dialog.apply()
    entry = paths.config_dir.parent / "xdg" / "autostart" / "traywatch.desktop"
    assert entry.exists()
    box.setChecked(False)
    assert dialog.apply()
    assert not entry.exists()


def test_without_a_keyring_secret_fields_are_disabled_with_the_reason(qtbot: QtBot, paths: Paths) -> None:
    dialog = make_dialog(qtbot, paths, NullStore("No secure system keyring is available (test)."))
    token = line(dialog, "forwarding.token")
    assert not token.isEnabled()
    note = dialog.findChild(QLabel, "forwarding.token.unavailable")
    assert note is not None and "No secure system keyring" in note.text()


def test_token_goes_to_the_real_keyring_and_never_to_the_file(
    qtbot: QtBot, paths: Paths, desktop: Desktop, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", desktop.env["DBUS_SESSION_BUS_ADDRESS"])
    store = open_secret_store()
    assert store.available
    store.delete("forwarding.token")
    dialog = make_dialog(qtbot, paths, store)
    type_into(qtbot, line(dialog, "forwarding.url"), "https://ntfy.example/alerts")
    token = line(dialog, "forwarding.token")
    assert token.isEnabled() and token.echoMode() == QLineEdit.EchoMode.Password
    type_into(qtbot, token, "s3cret-token-42")
    assert dialog.apply()
    assert "s3cret-token-42" not in paths.config_file.read_text()
    assert "https://ntfy.example/alerts" in paths.config_file.read_text()
    lookup = subprocess.run(
        ["secret-tool", "lookup", "service", "traywatch", "username", "forwarding.token"],
        env=desktop.env,
        capture_output=True,
        text=True,
        timeout=10,
    )
    # Kept with the address it may be sent to (secretbind).
    assert json.loads(lookup.stdout) == {"secret": "s3cret-token-42", "for": "https://ntfy.example"}
    # Reopening shows it is set (masked), read back from the keyring.
    again = make_dialog(qtbot, paths, store)
    assert line(again, "forwarding.token").text() == "s3cret-token-42"
    store.delete("forwarding.token")


def test_switching_a_service_off_and_adding_a_control(qtbot: QtBot, paths: Paths) -> None:
    dialog = make_dialog(qtbot, paths)
    threads = next(
        dialog.service_list.item(i)
        for i in range(dialog.service_list.count())
        if dialog.service_list.item(i).text() == "Threads"
    )
    threads.setCheckState(Qt.CheckState.Unchecked)
    dialog.entries.append(
        build_entry(
            "control",
            {
                "id": "office",
                "name": "Office",
                "url": "http://192.0.2.10/health",
                "status": "200",
                "body": "ok",
                "match": "prefix",
                "domains": "",
            },
        )
    )
    dialog._mark_entries_dirty()
    assert dialog.apply()
    config = load_config(paths.config_file)
    assert "threads" not in [s.id for s in config.catalog.services]
    office = next(c for c in config.catalog.controls if c.id == "office")
    assert office.endpoint.expect_status == (200,) and office.endpoint.expect_body == "ok"


def test_entry_editor_validates_as_typed(qtbot: QtBot) -> None:
    editor = EntryEditor("control", None, {"messenger"}, None)
    qtbot.addWidget(editor)
    ok = editor.buttons.button(editor.buttons.StandardButton.Ok)
    qtbot.keyClicks(editor.name, "Office")
    qtbot.keyClicks(editor.url, "ftp://x/")
    assert "expected a URL starting with http:// or https://" in editor.error.text()
    assert not ok.isEnabled()
    editor.url.setText("http://192.0.2.10/health")
    qtbot.keyClicks(editor.status, "20x")
    assert "HTTP status codes" in editor.error.text()
    editor.status.setText("204")
    assert ok.isEnabled()
    editor.name.setText("Messenger")
    assert "already used" in editor.error.text()


def test_entry_editor_test_now_probes_for_real(qtbot: QtBot, loop: LoopThread, http_server: LocalServer) -> None:
    url = http_server.route("/editor-test", servers.ok(b"ok"))
    tester = make_tester(loop, lambda: load_or_recover(Path("/nonexistent/config.toml")).config)
    editor = EntryEditor("control", None, set(), tester)
    qtbot.addWidget(editor)
    editor.name.setText("Local")
    editor.url.setText(url)
    editor.body.setText("ok")
    qtbot.mouseClick(editor.test_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: editor.test_result.text().startswith("Works"), timeout=5000)
    assert "answers 200" in editor.test_result.text()
    editor.url.setText(f"http://127.0.0.1:{servers.refused_port()}/")
    qtbot.mouseClick(editor.test_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: editor.test_result.text().startswith("Fails"), timeout=5000)
    assert "TCP" in editor.test_result.text() and "refused" in editor.test_result.text()


def test_second_opinions_say_what_is_sent_and_globalping_is_off(qtbot: QtBot, paths: Paths) -> None:
    dialog = make_dialog(qtbot, paths)
    titles = [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())]
    assert "Second opinions" in titles
    dialog.tabs.setCurrentIndex(titles.index("Second opinions"))
    note = dialog.findChild(QLabel, "second_opinions.note")
    assert note is not None and note.isVisible()
    assert "host's name and your country" in note.text() and "Nothing else is sent" in note.text()
    toggle = dialog.fields["globalping.enabled"].widget
    assert isinstance(toggle, QCheckBox) and not toggle.isChecked()
    assert dialog.fields["status_page.enabled"].widget.isChecked()  # type: ignore[attr-defined]
    type_into(qtbot, line(dialog, "globalping.country"), "Germany")
    assert dialog.fields["globalping.country"].error.text() == "expected a two-letter country code such as DE"
    assert not dialog.ok_button.isEnabled()
    type_into(qtbot, line(dialog, "globalping.country"), "de")
    assert dialog.ok_button.isEnabled()


@pytest.mark.parametrize(
    ("key", "text", "problem"),
    [
        ("forwarding.url", "http://[", "not a valid URL"),
        ("forwarding.url", "https://☃.com/", "not a valid URL (check the host name)"),
        ("network.proxy_url", "http://[::1", "not a valid URL"),
    ],
)
def test_typing_anything_never_raises_and_keeps_ok_off_while_invalid(
    qtbot: QtBot, paths: Paths, key: str, text: str, problem: str
) -> None:
    dialog = make_dialog(qtbot, paths)
    if key == "network.proxy_url":
        combo = dialog.fields["network.proxy"].widget
        assert isinstance(combo, QComboBox)
        combo.setCurrentIndex(combo.findData("manual"))
    field = line(dialog, key)
    for end in range(1, len(text) + 1):  # every keystroke on the way (setText: QTest types ASCII only)
        field.setText(text[:end])
    assert problem in dialog.fields[key].error.text()
    assert not dialog.ok_button.isEnabled() and not dialog.apply_button.isEnabled()


def test_a_webhook_url_that_is_a_credential_goes_to_the_keyring(
    qtbot: QtBot, paths: Paths, desktop: Desktop, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", desktop.env["DBUS_SESSION_BUS_ADDRESS"])
    store = open_secret_store()
    dialog = make_dialog(qtbot, paths, store)
    hook = "https://discord.com/api/webhooks/1234/aBcDeF-very-secret"
    type_into(qtbot, line(dialog, "forwarding.url"), hook)
    assert dialog.apply()
    text = paths.config_file.read_text()
    assert "aBcDeF" not in text and "/api/webhooks" not in text
    assert 'url = "https://discord.com/"' in text
    assert json.loads(store.get("forwarding.url") or "{}") == {"secret": hook, "for": "https://discord.com"}
    store.delete("forwarding.url")


def test_without_a_keyring_a_credential_url_is_not_saved_in_the_file(qtbot: QtBot, paths: Paths) -> None:
    dialog = make_dialog(qtbot, paths)
    type_into(qtbot, line(dialog, "forwarding.url"), "https://hooks.slack.com/services/T0/B0/xyzSECRET")
    assert not dialog.apply()
    assert "password in itself" in dialog.status.text()
    assert not paths.config_file.exists() or "xyzSECRET" not in paths.config_file.read_text()


def test_about_names_the_notification_server_and_links_the_docs(qtbot: QtBot, paths: Paths) -> None:
    dialog = make_dialog(qtbot, paths, notifications="Notifications: dunst 1.9.0")
    server = dialog.findChild(QLabel, "about-notifications")
    assert server is not None and server.text() == "dunst 1.9.0"
    docs = dialog.findChild(QLabel, "about-docs")
    assert docs is not None and "docs" in docs.text() and docs.openExternalLinks()


def test_the_entry_editor_is_wide_and_quiet_until_typed_in(qtbot: QtBot) -> None:
    editor = EntryEditor("service", None, set(), None)
    qtbot.addWidget(editor)
    editor.show()
    assert editor.width() >= 560
    assert not editor.error.isVisible()  # not "Give it a name." before anything is typed
    assert not editor.buttons.button(editor.buttons.StandardButton.Ok).isEnabled()
    qtbot.keyClicks(editor.url, "https://x")
    editor.url.clear()
    assert editor.error.isVisible() and editor.error.text() == "Give it a name."


def test_editing_an_entry_shows_every_field_as_saved_and_gives_back_the_same_entry(qtbot: QtBot) -> None:
    typed = {
        "id": "office-chat",
        "name": "Office chat",
        "url": "tls://chat.example.org:5223",
        "status": "",
        "body": "",
        "match": "prefix",
        "domains": "example.org, example.net",
    }
    web = {**typed, "id": "health", "name": "Health", "url": "https://example.org/h", "status": "200, 204"}
    web.update(body="ok", match="exact", domains="")
    for kind, fields, title in (("service", typed, "Service"), ("control", web, "Control endpoint")):
        entry = build_entry(kind, fields)
        editor = EntryEditor(kind, entry, set(), None)
        qtbot.addWidget(editor)
        assert editor.windowTitle() == title
        labels = [label.text() for label in editor.findChildren(QLabel)]
        assert ("Domains:" in labels) == (kind == "service")  # a control has no redirects to allow
        assert editor.fields() == fields
        assert editor.revalidate() == entry
        qtbot.mouseClick(editor.buttons.button(editor.buttons.StandardButton.Ok), Qt.MouseButton.LeftButton)
        assert editor.result_entry == entry and editor.result() == QDialog.DialogCode.Accepted
    # A chat edge is not a web page: tls:// makes an edge endpoint, http(s):// a web one.
    assert [e.role.value for e in build_entry("service", typed).endpoints] == ["edge"]
    assert [e.role.value for e in build_entry("service", {**web, "domains": ""}).endpoints] == ["web"]


def test_test_now_is_offered_only_for_a_valid_entry_and_waits_for_its_answer(qtbot: QtBot) -> None:
    asked: list[str] = []
    answers: list[Any] = []

    def tester(entry: Any, answer: Any) -> None:
        asked.append(entry.name)
        answers.append(answer)

    untestable = EntryEditor("control", None, set(), None)
    qtbot.addWidget(untestable)
    untestable.name.setText("Office")
    untestable.url.setText("http://192.0.2.10/")
    assert untestable.buttons.button(untestable.buttons.StandardButton.Ok).isEnabled()
    assert not untestable.test_button.isEnabled()  # valid, but no probe to test it with
    editor = EntryEditor("control", None, set(), tester)
    qtbot.addWidget(editor)
    assert not editor.test_button.isEnabled()  # nothing to test yet
    editor.name.setText("Office")
    editor.url.setText("http://192.0.2.10/")
    assert editor.test_button.isEnabled()
    qtbot.mouseClick(editor.test_button, Qt.MouseButton.LeftButton)
    assert asked == ["Office"] and editor.test_result.text() == "Testing…"
    assert not editor.test_button.isEnabled()  # one test at a time
    answers[0]("Works: answers 200")
    qtbot.waitUntil(lambda: editor.test_result.text() == "Works: answers 200", timeout=2000)
    assert editor.test_button.isEnabled()
    editor.url.setText("ftp://x/")
    assert not editor.test_button.isEnabled()
    editor._test()  # reached only by a stale click: still nothing is asked
    assert asked == ["Office"]
    qtbot.mouseClick(editor.buttons.button(editor.buttons.StandardButton.Ok), Qt.MouseButton.LeftButton)
    assert editor.result_entry is None and editor.result() != QDialog.DialogCode.Accepted


def test_edit_and_remove_need_a_selection_and_builtin_checks_are_listed(qtbot: QtBot, paths: Paths) -> None:
    from PySide6.QtWidgets import QListWidget, QPushButton

    from traywatch.catalog import shipped_catalog

    dialog = make_dialog(qtbot, paths)
    edit = dialog.findChild(QPushButton, "entry-edit")
    remove = dialog.findChild(QPushButton, "entry-remove")
    assert edit is not None and remove is not None
    assert not edit.isEnabled() and not remove.isEnabled()  # nothing selected: nothing to edit
    controls = dialog.findChild(QListWidget, "builtin-controls")
    assert controls is not None
    assert controls.count() == len(shipped_catalog().controls)
    first = controls.item(0)
    assert first.checkState() == Qt.CheckState.Checked
    assert not first.flags() & Qt.ItemFlag.ItemIsEditable  # read-only, but can be switched off
    first.setCheckState(Qt.CheckState.Unchecked)
    assert dialog.apply()
    assert shipped_catalog().controls[0].id not in {c.id for c in load_config(paths.config_file).catalog.controls}
    dialog.entries.append(shipped_catalog().controls[0])  # something to select
    dialog._refresh_entries()
    dialog.entry_list.setCurrentRow(0)
    assert edit.isEnabled() and remove.isEnabled()


def test_a_credential_url_written_by_hand_moves_to_the_keyring_at_start(
    paths: Paths, desktop: Desktop, monkeypatch: pytest.MonkeyPatch
) -> None:
    from traywatch.configstore import keep_secret_url

    hook = "https://hooks.slack.com/services/T0/B0/handWrittenSecret"
    paths.config_dir.mkdir(parents=True)
    paths.config_file.write_text(f'version = 2\n[forwarding]\nurl = "{hook}"\n')
    config = load_config(paths.config_file)
    # Without a keyring: left where it is, and said so.
    same, notice = keep_secret_url(paths.config_file, config, NullStore("none here"))
    assert same is config and "no keyring" in notice and "handWrittenSecret" in paths.config_file.read_text()
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", desktop.env["DBUS_SESSION_BUS_ADDRESS"])
    store = open_secret_store()
    try:
        moved, notice = keep_secret_url(paths.config_file, config, store)
        assert notice == "" and moved["forwarding.url"] == "https://hooks.slack.com/"
        assert "handWrittenSecret" not in paths.config_file.read_text()
        assert json.loads(store.get("forwarding.url") or "{}") == {"secret": hook, "for": "https://hooks.slack.com"}
    finally:
        store.delete("forwarding.url")


@pytest.mark.parametrize("status", ["²", "2⁰⁰", "200, ٢٠٤", "9" * 5000])
def test_a_status_that_is_not_plain_digits_is_refused_in_words(status: str) -> None:
    # str.isdigit takes "²" and Arabic-Indic digits; int() refuses the first and 5,000 digits,
    # and the editor, which shows a ConfigError's words, had a ValueError instead.
    fields = {"id": "office", "name": "", "url": "http://192.0.2.10/", "status": status}
    with pytest.raises(ConfigError, match="expected HTTP status codes"):
        build_entry("control", {**fields, "body": "", "match": "prefix", "domains": ""})
