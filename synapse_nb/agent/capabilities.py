"""What the agent's Ray cluster can do beyond CPUs and GPUs: :func:`tensorrt_on_cluster`.

TensorRT must be checked where training runs, on a GPU node of the cluster, not in the
agent's own process (a head node often has no GPU, a laptop agent may have one the cluster
lacks). A run asking for a TensorRT export is refused before its task exists when the
answer is no (see ``synapse_nb.api.preflight``).

Example:
    >>> tensorrt_on_cluster({"CPU": 2.0})
    (False, 'TensorRT needs an NVIDIA GPU and the tensorrt package: no node of the Ray cluster has a GPU')
"""

from __future__ import annotations

__all__ = ["PROBE_TIMEOUT_S", "tensorrt_on_cluster"]

import logging
from typing import Any

from synapse_nb.frameworks.ultralytics_yolo.export import TENSORRT_REASON

log = logging.getLogger(__name__)

# A busy cluster may hold every GPU: the probe waits this long for one, then says so.
PROBE_TIMEOUT_S = 120.0


def _probe() -> tuple[bool, str]:
    import synapse_nb  # noqa: F401  (offline settings in the probe's worker)
    from synapse_nb.frameworks.ultralytics_yolo import tensorrt_available

    return tensorrt_available()


def tensorrt_on_cluster(resources: dict[str, Any], timeout: float = PROBE_TIMEOUT_S) -> tuple[bool, str]:
    """Whether a GPU node of the cluster (``resources``: Ray's totals) can build TensorRT engines."""
    if float(resources.get("GPU", 0) or 0) < 1:
        return False, f"{TENSORRT_REASON}: no node of the Ray cluster has a GPU"
    import ray
    from ray.exceptions import GetTimeoutError

    ref = ray.remote(num_gpus=1, max_retries=0)(_probe).remote()
    try:
        ok, reason = ray.get(ref, timeout=timeout)
    except GetTimeoutError:
        ray.cancel(ref, force=True)
        return False, f"{TENSORRT_REASON}: no GPU of the cluster was free to check within {timeout:g} s"
    log.info("TensorRT on the cluster: %s (%s)", ok, reason)
    return bool(ok), str(reason)
