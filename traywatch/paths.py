"""Where traywatch keeps files, in one object so tests and packagers can point it elsewhere."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "traywatch"


@dataclass(frozen=True)
class Paths:
    config_dir: Path
    state_dir: Path
    log_dir: Path

    @classmethod
    def default(cls) -> Paths:
        # platformdirs honours XDG_CONFIG_HOME and friends, which is how tests isolate a run.
        return cls(
            config_dir=Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
            state_dir=Path(platformdirs.user_state_dir(APP_NAME, appauthor=False)),
            log_dir=Path(platformdirs.user_log_dir(APP_NAME, appauthor=False)),
        )

    @property
    def config_file(self) -> Path:
        return self.config_dir / "config.toml"

    @property
    def history_file(self) -> Path:
        return self.state_dir / "history.jsonl"
