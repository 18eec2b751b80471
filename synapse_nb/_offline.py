"""Offline safety for ultralytics, matplotlib and Ray, applied before any of them is imported.

``import synapse_nb`` calls :func:`configure_environment` first thing, so that no
training, validation, export or Ray start in this process (or in the agent and Ray worker
processes it starts, which inherit the environment) reaches for the internet: no font
download, no hub, no update or pip checks, no settings sync, no telemetry, no usage stats.

What ``import synapse_nb`` sets in the user's own process is limited to ultralytics' and
Ray's variables (:data:`KERNEL_VARIABLES`), which only change how those two libraries
start. Variables that change other libraries a user may also run in the same kernel
(Hugging Face, Weights & Biases, Comet, matplotlib's config folder) are set only in the
processes synapse_nb starts and owns: the backend, the agent and its Ray workers
(:func:`configure_service_environment`).

Every variable is set with ``setdefault`` so a user can still override one explicitly.

Example:
    >>> from synapse_nb._offline import configure_environment
    >>> env = configure_environment()
    >>> env["YOLO_OFFLINE"]
    '1'
    >>> "HF_HUB_OFFLINE" in env
    False
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from synapse_nb._atomic import atomic_path
from synapse_nb._home import sub_dir

_FONT_NAMES = ("Arial.ttf", "Arial.Unicode.ttf")


def _bundled_ttf() -> Path | None:
    """A TTF font shipped by matplotlib (always installed with ultralytics)."""
    try:
        import matplotlib
    except ImportError:
        return None
    candidate = Path(matplotlib.__file__).parent / "mpl-data" / "fonts" / "ttf" / "DejaVuSans.ttf"
    return candidate if candidate.is_file() else None


def _install_fonts(config_dir: Path) -> None:
    """Place the fonts ultralytics checks for on every train/val, so it never downloads them."""
    target_dir = config_dir / "Ultralytics"
    target_dir.mkdir(parents=True, exist_ok=True)
    missing = [name for name in _FONT_NAMES if not (target_dir / name).is_file()]
    if not missing:
        return
    source = _bundled_ttf()
    if source is None:
        return
    for name in missing:
        with atomic_path(target_dir / name) as tmp:
            shutil.copyfile(source, tmp)


# Names of what ``import synapse_nb`` may set in a user's process; a test pins this list.
KERNEL_VARIABLES = (
    "YOLO_OFFLINE", "YOLO_AUTOINSTALL", "YOLO_CONFIG_DIR", "YOLO_VERBOSE",
    "RAY_USAGE_STATS_ENABLED", "RAY_USAGE_STATS_PROMPT_ENABLED", "RAY_DISABLE_DOCKER_CPU_WARNING",
    "RAY_ACCEL_ENV_VAR_OVERRIDE_ON_ZERO", "RAY_AIR_NEW_OUTPUT", "RAY_TRAIN_V2_ENABLED",
    "RAY_agent_register_timeout_ms",
)
# Set only in the backend, agent and worker processes (inherited by Ray's workers).
SERVICE_VARIABLES = ("MPLCONFIGDIR", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "WANDB_MODE", "COMET_MODE")


def configure_environment() -> dict[str, str]:
    """Set the environment so ultralytics and Ray stay offline and quiet in this process.

    Only :data:`KERNEL_VARIABLES` are touched. Returns the values now in effect (a copy),
    for logging and tests.
    """
    yolo_dir = sub_dir("ultralytics")
    defaults = {
        # ultralytics: no connectivity probe, telemetry, hub or update checks...
        "YOLO_OFFLINE": "1",
        # ...no pip install of a missing extra (e.g. at ONNX export)...
        "YOLO_AUTOINSTALL": "0",
        # ...and a settings file this project owns, not the one shared under the user's home.
        "YOLO_CONFIG_DIR": str(yolo_dir),
        "YOLO_VERBOSE": os.environ.get("YOLO_VERBOSE", "False"),
        # Ray: no usage stats, no dashboard start-up noise.
        "RAY_USAGE_STATS_ENABLED": "0",
        "RAY_USAGE_STATS_PROMPT_ENABLED": "0",
        "RAY_DISABLE_DOCKER_CPU_WARNING": "1",
        "RAY_ACCEL_ENV_VAR_OVERRIDE_ON_ZERO": "0",
        "RAY_AIR_NEW_OUTPUT": "0",
        "RAY_TRAIN_V2_ENABLED": os.environ.get("RAY_TRAIN_V2_ENABLED", "0"),
        # On a busy laptop or a 2-core CI runner a local node's agent processes can take longer
        # to start than the raylet waits for them by default; the raylet then aborts.
        "RAY_agent_register_timeout_ms": "120000",
    }
    for key, value in defaults.items():
        os.environ.setdefault(key, value)
    _install_fonts(Path(os.environ["YOLO_CONFIG_DIR"]))
    return {key: os.environ[key] for key in defaults}


def configure_service_environment() -> dict[str, str]:
    """Also keep other libraries offline: for the backend, agent and worker processes only.

    A plugin running on an agent may reach for the Hugging Face hub or an experiment
    tracker; in those processes nothing should leave the machine unasked. The user's own
    kernel is left alone (see the module docstring). Returns the values now in effect.

    Example:
        >>> import os, subprocess, sys
        >>> code = "from synapse_nb._offline import configure_service_environment as c; print(c()['WANDB_MODE'])"
        >>> subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip()
        'disabled'
    """
    values = configure_environment()
    defaults = {
        "MPLCONFIGDIR": str(sub_dir("matplotlib")),
        # Hugging Face / torch hub, in case a plugin reaches for them.
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "WANDB_MODE": "disabled",
        "COMET_MODE": "disabled",
    }
    for key, value in defaults.items():
        os.environ.setdefault(key, value)
    return values | {key: os.environ[key] for key in defaults}


def configure_ultralytics() -> None:
    """Turn off every ultralytics integration that syncs or logs to an outside service.

    Call after the environment is configured; imports ultralytics (slow), so only the
    framework plugin and tests call it, never ``import synapse_nb``.
    """
    configure_environment()
    from ultralytics import settings

    wanted: dict[str, bool | str] = {
        "sync": False,
        "hub": False,
        "raytune": False,
        "clearml": False,
        "comet": False,
        "dvc": False,
        "mlflow": False,
        "neptune": False,
        "tensorboard": False,
        "wandb": False,
    }
    # Folders under SYNAPSE_NB_HOME instead of the current directory: ultralytics looks for
    # weights by bare name in weights_dir (its AMP check needs yolo26n.pt there, the same
    # folder the YOLO plugin takes local weights from), and a relative project lands in runs_dir.
    wanted["weights_dir"] = str(sub_dir("weights"))
    wanted["runs_dir"] = str(sub_dir("runs"))
    known = {key: value for key, value in wanted.items() if key in settings}
    if any(settings.get(key) != value for key, value in known.items()):
        settings.update(known)
