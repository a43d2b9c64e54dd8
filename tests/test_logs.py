"""The rotated log file: each file stays under its size, three older ones are kept, all private."""

from __future__ import annotations

import logging
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from traywatch.logs import LOG_BACKUPS, PrivateRotatingFileHandler, setup_logging

LINE = 100  # bytes a record takes in the file, its newline included
RECORDS_A_FILE = 9  # a file of 10 lines would reach the size it must stay under


@pytest.fixture
def log(tmp_path: Path) -> Iterator[tuple[logging.Logger, Path]]:
    (tmp_path / "log").mkdir()
    path = tmp_path / "log" / "traywatch.log"
    handler = PrivateRotatingFileHandler(path, max_bytes=10 * LINE, backups=LOG_BACKUPS)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.getLogger(f"traywatch.test.{tmp_path.name}")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    yield logger, path
    logger.removeHandler(handler)
    handler.close()


def _record(number: int) -> str:
    return f"{number:04d}".ljust(LINE - 1, ".")


def _numbers(path: Path) -> list[int]:
    return [int(line[:4]) for line in path.read_text().splitlines()]


def test_files_stay_under_the_size_and_the_oldest_beyond_three_are_dropped(log: tuple[logging.Logger, Path]) -> None:
    logger, path = log
    for number in range(1, 46):
        logger.info(_record(number))
    assert _numbers(path) == list(range(37, 46))
    assert _numbers(path.with_name("traywatch.log.1")) == list(range(28, 37))
    assert _numbers(path.with_name("traywatch.log.2")) == list(range(19, 28))
    assert _numbers(path.with_name("traywatch.log.3")) == list(range(10, 19))
    assert not path.with_name("traywatch.log.4").exists()  # records 1 to 9 went with it
    for kept in path.parent.iterdir():
        assert kept.stat().st_size == RECORDS_A_FILE * LINE < 10 * LINE
        assert stat.S_IMODE(kept.stat().st_mode) == 0o600


def test_a_record_longer_than_a_file_is_kept_whole_without_rotating_an_empty_file(
    log: tuple[logging.Logger, Path],
) -> None:
    logger, path = log
    logger.info("x" * (30 * LINE))
    assert not path.with_name("traywatch.log.1").exists()
    logger.info(_record(1))
    assert path.with_name("traywatch.log.1").read_text() == "x" * (30 * LINE) + "\n"
    assert _numbers(path) == [1]


def test_text_that_is_not_unicode_is_written_escaped(log: tuple[logging.Logger, Path]) -> None:
    logger, path = log
    logger.info("server said \udcff\udcfe")  # bytes a server sent, decoded with surrogateescape
    logger.info(_record(2))
    first, second = path.read_text().splitlines()
    assert first == "server said \\udcff\\udcfe" and second == _record(2)


def test_a_rotation_the_disk_refuses_keeps_the_log_going(log: tuple[logging.Logger, Path]) -> None:
    logger, path = log
    for number in (2, 3):  # .2 cannot be renamed over .3: a folder, not empty
        blocked = path.with_name(f"traywatch.log.{number}")
        blocked.mkdir()
        (blocked / "in the way").write_text("")
    for number in range(1, 13):
        logger.info(_record(number))
    assert _numbers(path) == list(range(1, 13))


def test_the_app_keeps_files_under_1_mb_and_three_before_them(tmp_path: Path, root_logger: logging.Logger) -> None:
    assert setup_logging(tmp_path / "log") == tmp_path / "log" / "traywatch.log"
    (handler,) = (h for h in root_logger.handlers if isinstance(h, PrivateRotatingFileHandler))
    assert (handler.max_bytes, handler.backups) == (1_000_000, 3)  # as the README says
