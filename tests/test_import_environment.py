"""What `import synapse_nb` changes in a user's process, and what only our own processes get."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from synapse_nb._offline import KERNEL_VARIABLES, SERVICE_VARIABLES

_REPORT_CHANGES = """
import json, os
before = dict(os.environ)
{code}
after = dict(os.environ)
print(json.dumps(sorted(k for k in after if before.get(k) != after[k])))
"""


def _changed_by(code: str) -> list[str]:
    env = {k: v for k, v in os.environ.items() if k not in KERNEL_VARIABLES + SERVICE_VARIABLES}
    out = subprocess.run([sys.executable, "-c", _REPORT_CHANGES.format(code=code)], env=env,
                         capture_output=True, text=True, check=True, timeout=120).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_import_sets_only_ultralytics_and_ray_variables() -> None:
    changed = _changed_by("import synapse_nb")
    assert changed == sorted(KERNEL_VARIABLES)
    assert all(name.startswith(("YOLO_", "RAY_")) for name in changed)
    for other_library in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "WANDB_MODE", "COMET_MODE", "MPLCONFIGDIR"):
        assert other_library not in changed


def test_service_processes_also_keep_other_libraries_offline() -> None:
    changed = _changed_by("from synapse_nb._offline import configure_service_environment; configure_service_environment()")
    assert changed == sorted(KERNEL_VARIABLES + SERVICE_VARIABLES)


def test_a_variable_the_user_set_is_kept() -> None:
    code = "os.environ['YOLO_VERBOSE'] = 'True'; before = dict(os.environ); import synapse_nb"
    assert "YOLO_VERBOSE" not in _changed_by(code)
