"""What the target learns from Meltano's environment when ``meltano run`` starts it.

Why a module of its own: the state id is named in the line an interrupted run
prints and in the repair hint of a damaged state; both need it, neither owns it.
"""

from __future__ import annotations

import os

__all__ = ["meltano_state_id"]


def meltano_state_id() -> str | None:
    """The state id ``meltano run`` gives this run's state, when Meltano runs the target.

    Meltano passes each block the plugin names of the blocks before it
    (``MELTANO_EXTRACTOR_NAME``, ``MELTANO_LOADER_NAME``) and the environment; the id
    is ``<environment>:<extractor>-to-<loader>`` unless a state id suffix is set.
    """
    names = [os.environ.get(name) for name in
             ("MELTANO_ENVIRONMENT", "MELTANO_EXTRACTOR_NAME", "MELTANO_LOADER_NAME")]
    if not all(names):
        return None
    environment, extractor, loader = names
    suffix = os.environ.get("MELTANO_RUN_STATE_ID_SUFFIX")
    return f"{environment}:{extractor}-to-{loader}" + (f":{suffix}" if suffix else "")
