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


def ray_temp_dir() -> Path:
    """A short, per-home temp folder for a local Ray (unix socket paths have a length limit)."""
    digest = hashlib.sha256(str(home_dir()).encode()).hexdigest()[:8]
    return Path(tempfile.gettempdir()) / f"snb-ray-{digest}"


def init_ray(address: str | None = None, num_cpus: float | None = None, num_gpus: float | None = None) -> dict[str, Any]:
    """Start a local Ray (``address=None``) or join a cluster; return its total resources."""
    import ray

    for name in SECRET_ENV:
        os.environ.pop(name, None)
    if ray.is_initialized():
        return dict(ray.cluster_resources())
    kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, "configure_logging": False}
    if address:
        ray.init(address=address, **kwargs)
    else:
        cpus = int(num_cpus) if num_cpus else (os.cpu_count() or 1)
        temp = ray_temp_dir()
        temp.mkdir(parents=True, exist_ok=True)
        ray.init(num_cpus=cpus, num_gpus=num_gpus, _temp_dir=str(temp), **kwargs)
    resources = dict(ray.cluster_resources())
    log.info("Ray ready: %s", resources)
    return resources
