"""The target's settings for operator commands, from the same sources as the target.

Under ``meltano invoke`` Meltano exports every setting as ``TARGET_QUICKBOOKS_*``
environment variables; singer-sdk's own parser turns them into typed config
(objects such as ``tax_code_map`` included), so the commands see exactly what
the target sees. A ``--config`` file, when given, wins.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

# singer-sdk's own env-var parser (the one `--config ENV` uses); it lives in a
# private module, so a singer-sdk upgrade is checked by tests/ops.
from singer_sdk.configuration._dict_config import parse_environment_config

from target_quickbooks.settings import CONFIG_SCHEMA

ENV_PREFIX = "TARGET_QUICKBOOKS_"
REQUIRED = ("client_id", "client_secret", "realm_id")


class AdminConfigError(Exception):
    """A setting the command needs is missing."""


def load_config(config_files: list[Path] | None = None) -> dict[str, Any]:
    """Settings from ``TARGET_QUICKBOOKS_*`` env vars, overridden by config files."""
    config: dict[str, Any] = parse_environment_config(CONFIG_SCHEMA, prefix=ENV_PREFIX)
    for path in config_files or []:
        config.update(json.loads(Path(path).read_text(encoding="utf-8")))
    return config


def require(config: Mapping[str, Any], *names: str) -> None:
    """Fail with the Meltano command that sets each missing setting."""
    missing = [name for name in (names or REQUIRED) if not config.get(name)]
    if missing:
        hints = "; ".join(f"meltano config set target-quickbooks {name} ..." for name in missing)
        msg = f"Missing setting(s) {', '.join(missing)}. Set them with: {hints}"
        raise AdminConfigError(msg)


def project_root() -> Path:
    """The Meltano project root (Meltano exports it to invoked plugins)."""
    return Path(os.environ.get("MELTANO_PROJECT_ROOT") or Path.cwd())
