"""Setting names the target does not know: typos that would otherwise be ignored.

A misspelt key in a ``--config`` file reaches the target and is ignored; in
``meltano.yml`` it does not even reach it (Meltano passes only declared settings).
Either way the setting the user meant stays at its default, and the run stops
(or books to the wrong account) later. ``check`` lists each unknown name with the
closest declared one.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]  # singer-sdk depends on PyYAML

from target_quickbooks.settings import CONFIG_SCHEMA

#: The plugin every feed's loader inherits from.
PLUGIN = "target-quickbooks"


def declared() -> set[str]:
    """Names of the target's settings."""
    return set(CONFIG_SCHEMA["properties"])


def unknown(keys: Iterable[str], where: str) -> list[str]:
    """One message per key that is not a setting (Meltano's ``_``-keys are its own)."""
    names = declared()
    problems = []
    for key in sorted(set(keys)):
        if key in names or key.startswith("_"):
            continue
        close = difflib.get_close_matches(key, sorted(names), n=1, cutoff=0.6)
        hint = f" (did you mean `{close[0]}`?)" if close else ""
        problems.append(f"{where}: `{key}` is not a {PLUGIN} setting{hint}; it is ignored")
    return problems


def meltano_yml_problems(path: Path) -> list[str]:
    """Unknown setting names in the ``config`` of every target-quickbooks loader of a project.

    Looks at the plugin, its inheritors (the feeds) and their ``environments`` overrides.
    """
    try:
        project = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        return [f"{path}: cannot be read ({exc})"]
    if not isinstance(project, Mapping):
        return []
    loaders = _loaders(project.get("plugins"))
    ours = _ours(loaders)
    problems: list[str] = []
    for loader in loaders:
        if loader.get("name") in ours:
            problems += unknown(_keys(loader), f"{path.name} plugins.loaders[{loader['name']}]")
    for env in project.get("environments") or []:
        if not isinstance(env, Mapping):
            continue
        for loader in _loaders((env.get("config") or {}).get("plugins")):
            if loader.get("name") in ours:
                problems += unknown(_keys(loader), f"{path.name} environments[{env.get('name')}]"
                                    f" plugins.loaders[{loader['name']}]")
    return problems


def _loaders(plugins: Any) -> list[Mapping[str, Any]]:
    found = plugins.get("loaders") if isinstance(plugins, Mapping) else None
    return [loader for loader in found or [] if isinstance(loader, Mapping)]


def _ours(loaders: list[Mapping[str, Any]]) -> set[str]:
    """``target-quickbooks`` and every loader inheriting from it, however indirectly."""
    ours = {PLUGIN}
    changed = True
    while changed:
        changed = False
        for loader in loaders:
            name = loader.get("name")
            if name not in ours and loader.get("inherit_from") in ours:
                ours.add(str(name))
                changed = True
    return ours


def _keys(loader: Mapping[str, Any]) -> list[str]:
    config = loader.get("config")
    return [str(key) for key in config] if isinstance(config, Mapping) else []
