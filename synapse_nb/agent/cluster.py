"""The agent's Ray cluster node by node, and the settings a cluster of several nodes needs.

On one node everything is local. On a cluster of several, three things must hold before
the agent claims a task, and each is checked here with an error naming the setting:

- experiment storage (``--storage``, ``SYNAPSE_NB_STORAGE``) is reachable from every node:
  an ``s3://`` (or other remote) URI, or a path declared shared (``--storage-shared``, e.g.
  NFS mounted at the same place on every node). Ray Tune checks the storage from the node
  that reports a checkpoint, so a folder of the agent's machine breaks PBT and restore;
- the backend URL the workers are given (``--worker-url``) is not loopback when a node has
  another address than the agent's own;
- GPUs and TensorRT are measured on each node (:func:`probe_nodes`), not in the agent.

Example:
    >>> check_storage("s3://bucket/experiments", shared=False, node_addresses=["10.0.0.1", "10.0.0.2"])
    >>> is_loopback_url("http://127.0.0.1:8000")
    True
"""

from __future__ import annotations

__all__ = ["PROBE_TIMEOUT_S", "STORAGE_ENV", "check_storage", "check_worker_url", "cluster_nodes", "cluster_summary", "is_loopback_url", "is_remote_storage", "probe_nodes"]

import ipaddress
import logging
from typing import Any
from urllib.parse import urlparse

from synapse_nb.errors import InputError
from synapse_nb.schemas.agent import NodeCapabilities

log = logging.getLogger(__name__)

STORAGE_ENV = "SYNAPSE_NB_STORAGE"
# A busy cluster may hold every GPU: the probe waits this long for one, then says so.
PROBE_TIMEOUT_S = 120.0
_BUILT_IN = ("CPU", "GPU", "memory", "object_store_memory")


def is_remote_storage(storage: str) -> bool:
    """Whether ``storage`` is a URI of a filesystem every node reaches (``s3://``, ``gs://``, ...).

    Example:
        >>> is_remote_storage("s3://b/x"), is_remote_storage("/mnt/nfs/x"), is_remote_storage("file:///x")
        (True, False, False)
    """
    scheme = urlparse(storage).scheme
    return len(scheme) > 1 and scheme != "file"  # one letter: a Windows drive


def check_storage(storage: str | None, shared: bool, node_addresses: list[str]) -> None:
    """Refuse experiment storage that other nodes of the cluster cannot reach.

    ``storage`` None is the agent's own home folder: fine on one node, refused on several.

    Example:
        >>> check_storage(None, shared=False, node_addresses=["10.0.0.1"])
        >>> check_storage("/mnt/nfs/exp", shared=True, node_addresses=["10.0.0.1", "10.0.0.2"])
    """
    if len(node_addresses) <= 1 or shared or (storage and is_remote_storage(storage)):
        return
    raise InputError(
        "storage", f"experiment storage every node of the {len(node_addresses)}-node Ray cluster reaches",
        got=storage or "(none: a folder of the agent's home)",
        hint="pass --storage s3://BUCKET/PATH (or set SYNAPSE_NB_STORAGE; AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, "
             "AWS_SECRET_ACCESS_KEY and AWS_DEFAULT_REGION as usual), or --storage PATH --storage-shared for a "
             "folder mounted at the same path on every node (NFS)")


def is_loopback_url(url: str) -> bool:
    """Whether ``url`` points at this machine only (127.0.0.0/8, ::1, localhost)."""
    host = urlparse(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_worker_url(url: str, own_address: str, node_addresses: list[str]) -> None:
    """Refuse a loopback backend URL for workers when some node is another machine.

    Example:
        >>> check_worker_url("http://127.0.0.1:8000", "10.0.0.1", ["10.0.0.1", "10.0.0.1"])
        >>> check_worker_url("http://10.0.0.1:8000", "10.0.0.1", ["10.0.0.1", "10.0.0.2"])
    """
    others = sorted({a for a in node_addresses if a != own_address})
    if others and is_loopback_url(url):
        raise InputError(
            "worker_url", "a backend URL the cluster's other machines reach", got=url,
            hint=f"nodes {others} are not this machine ({own_address}): pass --worker-url "
                 f"http://{own_address}:PORT (the backend listening on that address), or the team server's URL")


def cluster_nodes() -> list[NodeCapabilities]:
    """The alive nodes of the connected Ray cluster, with Ray's count of CPUs and GPUs on each
    (each node's raylet detects its own GPUs)."""
    import ray

    nodes = []
    for info in ray.nodes():
        if not info.get("Alive"):
            continue
        res = info.get("Resources") or {}
        custom = {k: float(v) for k, v in res.items()
                  if k not in _BUILT_IN and not k.startswith(("node:", "accelerator_type:"))}
        nodes.append(NodeCapabilities(node_id=info["NodeID"], address=info["NodeManagerAddress"],
                                      cpus=float(res.get("CPU", 0)), gpus=float(res.get("GPU", 0)), resources=custom))
    return nodes


def _probe() -> tuple[bool, str]:
    import synapse_nb  # noqa: F401  (offline settings in the probe's worker)
    from synapse_nb.frameworks.ultralytics_yolo import tensorrt_available

    return tensorrt_available()


def probe_nodes(nodes: list[NodeCapabilities], timeout: float = PROBE_TIMEOUT_S) -> list[NodeCapabilities]:
    """``nodes`` with TensorRT measured on each GPU node (one probe task pinned to the node,
    all in parallel); a node without a GPU has none, said so."""
    from synapse_nb.frameworks.ultralytics_yolo.export import TENSORRT_REASON

    probed: list[NodeCapabilities] = []
    pending: dict[int, Any] = {}
    gpu_nodes = [n for n in nodes if n.gpus >= 1]
    if gpu_nodes:
        import ray
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        remote = ray.remote(num_gpus=1, num_cpus=0, max_retries=0)(_probe)
        for node in gpu_nodes:
            strategy = NodeAffinitySchedulingStrategy(node_id=node.node_id, soft=False)
            pending[id(node)] = remote.options(scheduling_strategy=strategy).remote()
    for node in nodes:
        if node.gpus < 1:
            probed.append(node.model_copy(update={"tensorrt": False,
                                                  "tensorrt_reason": f"{TENSORRT_REASON}: the node has no GPU"}))
            continue
        ok, reason = _wait_probe(pending[id(node)], timeout, TENSORRT_REASON)
        probed.append(node.model_copy(update={"tensorrt": ok, "tensorrt_reason": reason}))
    for node in probed:
        log.info("node %s: %g CPUs, %g GPUs, TensorRT %s (%s)", node.label, node.cpus, node.gpus, node.tensorrt,
                 node.tensorrt_reason)
    return probed


def _wait_probe(ref: Any, timeout: float, base_reason: str) -> tuple[bool, str]:
    import ray
    from ray.exceptions import GetTimeoutError, RayError

    try:
        ok, reason = ray.get(ref, timeout=timeout)
    except GetTimeoutError:
        ray.cancel(ref, force=True)
        return False, f"{base_reason}: no GPU of the node was free to check within {timeout:g} s"
    except RayError as exc:  # the node went away, or the probe's worker died
        return False, f"{base_reason}: the check on the node failed ({type(exc).__name__})"
    return bool(ok), str(reason)


def cluster_summary(nodes: list[NodeCapabilities]) -> dict[str, Any]:
    """The agent's ``resources`` for the backend: totals (as before), TensorRT when any node
    has it, and every node.

    Example:
        >>> n = NodeCapabilities(node_id="a" * 16, address="10.0.0.1", cpus=2, gpus=0, tensorrt_reason="no GPU")
        >>> cluster_summary([n])["nodes"][0]["cpus"], cluster_summary([n])["tensorrt"]
        (2.0, False)
    """
    with_trt = [n for n in nodes if n.tensorrt]
    reasons = sorted({n.tensorrt_reason for n in nodes if n.tensorrt_reason})
    return {
        "tensorrt": bool(with_trt),
        "tensorrt_reason": with_trt[0].tensorrt_reason if with_trt else "; ".join(reasons),
        "nodes": [n.model_dump() for n in nodes],
    }
