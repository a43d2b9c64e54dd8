"""Reading and writing config.toml so that a user's choices are never lost.

- Writes are atomic: a temp file in the same folder, fsync, rename, fsync of the folder. A crash
  mid-save leaves the old file or the new one, never half of either.
- A file that does not parse or validate is moved aside as ``config.toml.broken-<timestamp>``,
  the app starts on defaults, and the notice says where the file went.
- An older schema is migrated after a copy of the file is kept (``config.toml.v1-backup``).
- Saving edits the user's own document (tomlkit), so comments, order and unknown keys survive.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from traywatch.catalog import Control, Endpoint, Service
from traywatch.config import SCHEMA_VERSION, Config, config_from_document, default_config, migrate
from traywatch.errors import ConfigError
from traywatch.secretbind import is_secret_url, stash_secret_url
from traywatch.secretstore import SecretStore
from traywatch.settings import SECRET_KEYS, SETTINGS, Kind
from traywatch.tomlreader import MAX_BYTES, TomlDocument

log = logging.getLogger(__name__)

MAX_CONFIG_BYTES = MAX_BYTES


def atomic_write_text(path: Path, text: str) -> None:
    """Replace ``path``'s content all at once; through a symlink, its target's (the link stays)."""
    if path.is_symlink():
        path = path.resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            shutil.copymode(path, temp)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    with contextlib.suppress(OSError):  # not every platform can fsync a folder
        folder = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)


def move_aside(path: Path, now: dt.datetime | None = None) -> Path:
    stamp = (now or dt.datetime.now()).strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.broken-{stamp}")
    counter = 1
    while target.exists():
        target = path.with_name(f"{path.name}.broken-{stamp}-{counter}")
        counter += 1
    os.replace(path, target)
    return target


@dataclass(frozen=True)
class Loaded:
    config: Config
    notice: str = ""  # for the user: what happened to their file, if anything

    @property
    def title(self) -> str:
        if not self.notice:
            return ""
        return (
            "traywatch: some settings were not used" if self.config.problems else "traywatch: settings file set aside"
        )


def _read(path: Path) -> TomlDocument:
    return TomlDocument.read(path)


def load_or_recover(path: Path) -> Loaded:
    """What the app uses at start: never fails, never loses the user's file."""
    if not path.exists():
        return Loaded(default_config())
    try:
        doc = _read(path)
        config = config_from_document(doc, path, lenient=True)
    except ConfigError as exc:
        try:
            kept = move_aside(path)
        except OSError as move_error:
            log.error("config %s is invalid and could not be moved aside: %s", path, move_error)
            return Loaded(default_config(), f"{exc.message}. traywatch started with default settings.")
        log.error("config invalid (%s); kept as %s; starting on defaults", exc.message, kept)
        return Loaded(
            default_config(),
            f"Your settings file had a problem and was kept as {kept}: {exc.problem} "
            f"({exc.where or 'whole file'}). traywatch started with default settings.",
        )
    except OSError as exc:
        return Loaded(default_config(), f"{path} cannot be read ({exc.strerror}); using default settings.")
    if config.migrated_from is not None:
        _write_migrated(path, doc.text, config.migrated_from)
    if config.problems:
        log.warning("config %s: %s", path, "; ".join(config.problems))
        count = len(config.problems)
        said = "; ".join(config.problems[:2]) + (f"; and {count - 2} more" if count > 2 else "")
        return Loaded(config, f"In {path}: {said}. Everything else in it is in use.")
    return Loaded(config)


def _write_migrated(path: Path, text: str, version: int) -> None:
    import tomlkit

    backup = path.with_name(f"{path.name}.v{version}-backup")
    try:
        shutil.copy2(path, backup)
        document, _ = migrate(tomlkit.parse(text))
        atomic_write_text(path, tomlkit.dumps(document))
    except OSError as exc:
        log.warning("could not write the migrated config: %s", exc)
        return
    log.info("config migrated from version %d to %d; the old file is kept as %s", version, SCHEMA_VERSION, backup)


@dataclass(frozen=True)
class CatalogEdits:
    """What the Services tab changed: shipped entries switched on or off, and the user's own."""

    toggles: Mapping[str, bool]
    services: tuple[Service, ...]
    controls: tuple[Control, ...]
    removed: frozenset[str]  # ids of the user's own entries to drop
    control_toggles: Mapping[str, bool] = field(default_factory=dict)  # built-in controls on or off


def _service_table(service: Service) -> Any:
    import tomlkit

    table = tomlkit.table()
    table["id"] = service.id
    table["name"] = service.name
    if service.domains:
        table["domains"] = list(service.domains)
    if service.status_page:
        table["status_page"] = list(service.status_page)
    endpoints = tomlkit.aot()
    for ep in service.endpoints:
        item = tomlkit.table()
        item["id"] = ep.id
        item["role"] = ep.role.value
        item["url"] = ep.url
        _write_expectations(item, ep)
        endpoints.append(item)
    table["endpoint"] = endpoints
    return table


def _control_table(control: Control) -> Any:
    import tomlkit

    table = tomlkit.table()
    table["id"] = control.id
    table["name"] = control.name
    if control.operator:
        table["operator"] = control.operator
    table["url"] = control.endpoint.url
    _write_expectations(table, control.endpoint)
    return table


def _write_expectations(table: Any, endpoint: Endpoint) -> None:
    import tomlkit

    if endpoint.expect_status:
        table["expect_status"] = list(endpoint.expect_status)
    if endpoint.expect_body is not None:
        table["expect_body"] = endpoint.expect_body
        table["body_match"] = endpoint.body_match.value
    if endpoint.origin is not None:
        table["origin"] = endpoint.origin
    if endpoint.expect_json:
        expected = tomlkit.inline_table()
        expected.update(dict(endpoint.expect_json))
        table["expect_json"] = expected


def _rewrite_entries(document: Any, key: str, drop: Iterable[str], add: Iterable[Any]) -> None:
    import tomlkit

    drop_set = set(drop)
    existing = document.get(key)
    kept = tomlkit.aot()
    if existing is not None:
        for item in existing:
            if item.get("id") not in drop_set:
                kept.append(item)
    for table in add:
        kept.append(table)
    if key in document:
        del document[key]
    if len(kept):
        document[key] = kept


def render(text: str, values: Mapping[str, Any], edits: CatalogEdits | None = None) -> str:
    """The new file text: ``text`` (the user's file, or "") with ``values`` and ``edits`` applied.

    A key is written when its value differs from the default or the file already has it, so a
    future change of default still reaches users who never chose otherwise.
    """
    import tomlkit

    document: Any = tomlkit.parse(text) if text.strip() else tomlkit.document()
    document, _ = migrate(document)
    document["version"] = SCHEMA_VERSION
    for setting in SETTINGS:
        if setting.kind is Kind.SECRET or setting.key not in values:
            continue
        value = values[setting.key]
        section = document.get(setting.section)
        present = section is not None and setting.name in section
        if value == setting.default and not present:
            continue
        if section is None:
            section = tomlkit.table()
            document[setting.section] = section
        section[setting.name] = value
    if edits is not None:
        toggled = set(edits.toggles)
        ours = {s.id for s in edits.services} | {c.id for c in edits.controls}
        _rewrite_entries(
            document,
            "service",
            toggled | ours | edits.removed,
            [*(_toggle(sid, on) for sid, on in edits.toggles.items() if not on), *map(_service_table, edits.services)],
        )
        _rewrite_entries(
            document,
            "control",
            set(edits.control_toggles) | ours | edits.removed,
            [
                *(_toggle(cid, on) for cid, on in edits.control_toggles.items() if not on),
                *map(_control_table, edits.controls),
            ],
        )
    return tomlkit.dumps(document)


def _toggle(service_id: str, enabled: bool) -> Any:
    import tomlkit

    table = tomlkit.table()
    table["id"] = service_id
    table["enabled"] = enabled
    return table


def save(path: Path, values: Mapping[str, Any], edits: CatalogEdits | None = None) -> Config:
    """Validate, then write atomically. Raises ConfigError (and writes nothing) if invalid."""
    for key in values:
        if key in SECRET_KEYS:
            raise ValueError(f"{key} is a secret and belongs in the keyring, not the config file")
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    new_text = render(text, values, edits)
    config = config_from_document(TomlDocument(path, new_text), path)  # what we write must load
    atomic_write_text(path, new_text)
    return config


def keep_secret_url(path: Path, config: Config, store: SecretStore) -> tuple[Config, str]:
    """Move a webhook URL that is a credential from the file to the keyring (the file keeps its
    origin). Returns the config as it now is, and a notice for the menu ("" when nothing to say)."""
    url = str(config["forwarding.url"])
    if not is_secret_url(url):
        return config, ""
    kept_in_file = stash_secret_url(store, url)
    if kept_in_file is None:
        return config, "Your webhook address is a password in itself and is in config.toml: no keyring to keep it in."
    # Every value, not just the one moved: what is saved must pass the strict check, and a value
    # the lenient load replaced by its default must be written so. The values hold no secret:
    # those are read from the keyring only.
    kept = save(path, {**config.values, "forwarding.url": kept_in_file})
    log.info("the webhook address was moved from %s to the keyring", path.name)
    return kept, ""
