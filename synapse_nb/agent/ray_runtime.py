"""Starting or joining Ray the way this toolkit needs it.

Locally: ``ray.init()`` with the dashboard off, usage stats off, an explicit CPU count and a
short temp folder of this home's own (Ray's default one may belong to another Ray on the
machine, and its socket paths must stay short). With an address: join that cluster.
Secrets are never put in the environment Ray copies to its workers.

Example:
    >>> ray_temp_dir().name.startswith("snb-ray-")
    True
"""

from __future__ import annotations

__all__ = [
    "LOCAL_START_ATTEMPTS", "RAY_AUTH_MODE_ENV", "SECRET_ENV", "init_ray", "ray_temp_dir", "ray_token_available",
    "use_ray_token_if_available",
]

import hashlib
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

from synapse_nb._home import home_dir

log = logging.getLogger(__name__)

# Variables that must never reach a Ray worker's (or trial's) environment.
SECRET_ENV = ("SYNAPSE_NB_TOKEN",)


def ray_temp_dir(home: Path | None = None) -> Path:
    """A short, per-home temp folder for a local Ray (unix socket paths have a length limit);
    ``home`` defaults to this process's SYNAPSE_NB_HOME."""
    digest = hashlib.sha256(str(home if home is not None else home_dir()).encode()).hexdigest()[:8]
    return Path(tempfile.gettempdir()) / f"snb-ray-{digest}"


RAY_AUTH_MODE_ENV = "RAY_AUTH_MODE"


def ray_token_available() -> bool:
    """Whether a Ray authentication token is at hand: ``RAY_AUTH_TOKEN``,
    ``RAY_AUTH_TOKEN_PATH`` (a file that is not empty) or ``~/.ray/auth_token``.

    Example:
        >>> isinstance(ray_token_available(), bool)
        True
    """
    if os.environ.get("RAY_AUTH_TOKEN", "").strip():
        return True
    token_path = os.environ.get("RAY_AUTH_TOKEN_PATH")
    candidates = [Path(token_path).expanduser()] if token_path else [Path.home() / ".ray" / "auth_token"]
    for path in candidates:
        try:
            if path.read_text().strip():
                return True
        except OSError:
            continue
    return False


def use_ray_token_if_available() -> bool:
    """Send this machine's Ray token when joining a cluster by address; True if it will.

    Ray 2.60 turns token authentication on for a cluster started with ``ray start --head``
    whenever a token exists (``~/.ray/auth_token``), but a client that joins with an explicit
    address only sends it when ``RAY_AUTH_MODE=token``: without this, joining such a cluster
    retries "Authentication token is missing or incorrect" until it gives up. A cluster
    without authentication accepts a client that sends a token. An explicit
    ``RAY_AUTH_MODE`` is left as the user set it.
    """
    mode = os.environ.get(RAY_AUTH_MODE_ENV)
    if mode is not None:
        return mode.strip().lower() == "token"
    if not ray_token_available():
        return False
    os.environ[RAY_AUTH_MODE_ENV] = "token"
    # Ray reads its config once, when ray._raylet is imported: refresh it the way Ray's own
    # token set-up does, so this process sees token mode too.
    from ray._raylet import Config

    Config.initialize("")
    log.info("joining the Ray cluster with this machine's Ray authentication token")
    return True


# Ray gives a new node's raylet and agents a fixed few seconds to come up; a loaded machine
# can miss that, and Ray then gives up on the whole start. Trying again is what works.
LOCAL_START_ATTEMPTS = 3


def _init_local(ray: Any, kwargs: dict[str, Any]) -> None:
    for attempt in range(1, LOCAL_START_ATTEMPTS + 1):
        try:
            ray.init(**kwargs)
            return
        except Exception as exc:  # noqa: BLE001 - Ray raises a bare Exception for this; others re-raised
            if "timed out during startup" not in str(exc) or attempt == LOCAL_START_ATTEMPTS:
                raise
            log.warning("the local Ray did not start in time (attempt %d of %d): trying again", attempt,
                        LOCAL_START_ATTEMPTS)
            ray.shutdown()


def init_ray(address: str | None = None, num_cpus: float | None = None, num_gpus: float | None = None) -> dict[str, Any]:
    """Start a local Ray (``address=None``) or join a cluster; return its total resources."""
    import ray

    for name in SECRET_ENV:
        os.environ.pop(name, None)
    if ray.is_initialized():
        return dict(ray.cluster_resources())
    kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, "configure_logging": False}
    if address:
        use_ray_token_if_available()
        ray.init(address=address, **kwargs)
    else:
        cpus = int(num_cpus) if num_cpus else (os.cpu_count() or 1)
        temp = ray_temp_dir()
        temp.mkdir(parents=True, exist_ok=True)
        _init_local(ray, dict(num_cpus=cpus, num_gpus=num_gpus, _temp_dir=str(temp), **kwargs))
    resources = dict(ray.cluster_resources())
    log.info("Ray ready: %s", resources)
    return resources
