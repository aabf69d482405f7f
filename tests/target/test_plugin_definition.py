"""target-quickbooks/plugin.yml, the definition other Meltano projects copy, is this project's.

Another project adds the target with `meltano add target-quickbooks --from-ref
.../plugin.yml` (tests/e2e/reuse_project.py does so). Only `pip_url` may differ from
the definition in this repository's meltano.yml: it installs from a copy of the
repository instead of the editable working tree. That meltano.yml declares every setting
of the target is tests/ops/test_check_readiness.py's test.
"""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
PLUGIN_YML = ROOT / "target-quickbooks" / "plugin.yml"


def _project_definition() -> dict:
    project = yaml.safe_load((ROOT / "meltano.yml").read_text())
    [plugin] = [loader for loader in project["plugins"]["loaders"]
                if loader["name"] == "target-quickbooks"]
    return dict(plugin)


def test_plugin_yml_is_the_projects_definition_but_for_pip_url() -> None:
    shared = yaml.safe_load(PLUGIN_YML.read_text())
    project = _project_definition()
    assert shared.pop("pip_url") != project.pop("pip_url")
    assert shared == project


def test_plugin_yml_installs_the_target_without_editable_mode_with_pinned_dependencies() -> None:
    pip_url = yaml.safe_load(PLUGIN_YML.read_text())["pip_url"].split()
    assert pip_url == ["./myfulfillment-quickbooks/target-quickbooks",
                       "-c", "./myfulfillment-quickbooks/plugins/constraints.txt"]
    assert (ROOT / "plugins" / "constraints.txt").is_file()
