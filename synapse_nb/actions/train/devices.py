"""Which device a run trains on, from what Ray gave it: :func:`plan_devices` (pure) and
:func:`task_devices` (asks Ray or torch, then applies the plan).

The rules, tested on any machine with made-up GPU id lists:

- Ray gave the worker no GPU (``num_gpus=0``, or a CPU-only cluster): train on the CPU with
  CUDA hidden (``CUDA_VISIBLE_DEVICES=""``). Ray leaves the GPUs visible to a zero-GPU
  worker (``RAY_ACCEL_ENV_VAR_OVERRIDE_ON_ZERO=0``), and torch would otherwise pick GPU 0.
- Ray gave one GPU, whole or a fraction (tuning trials sharing a GPU): ``cuda:0``, which is
  that GPU (Ray sets ``CUDA_VISIBLE_DEVICES`` to the ids it gave, so they count from 0).
- Ray gave N > 1 GPUs: ``"0,1,...,N-1"``, ultralytics' multi-GPU (DDP) device string, over
  exactly those N GPUs.
- Outside Ray (``run_local`` in a notebook): ``num_gpus=0`` trains on the CPU; otherwise the
  first ``num_gpus`` visible GPUs (one when unset), the CPU when there is none. CUDA is
  not hidden there: the notebook's process is the user's.

Example:
    >>> plan_devices(num_gpus=0, ray_gpu_ids=[]).model_dump(include={"device", "cuda_visible_devices"})
    {'device': 'cpu', 'cuda_visible_devices': ''}
    >>> plan_devices(num_gpus=2, ray_gpu_ids=[3, 5]).device
    '0,1'
    >>> plan_devices(num_gpus=0.5, ray_gpu_ids=["1"]).summary()
    'cuda:0 (GPU 1, shared: 0.5 of it)'
"""

from __future__ import annotations

__all__ = ["CUDA_VISIBLE", "DevicePlan", "apply_plan", "plan_devices", "task_devices"]

import logging
import os
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field

from synapse_nb.errors import InputError

logger = logging.getLogger(__name__)

CUDA_VISIBLE = "CUDA_VISIBLE_DEVICES"


class DevicePlan(BaseModel):
    """The device of one run and the CUDA visibility its process needs."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    device: str = Field(description="what training is given: 'cpu', 'cuda:0', or '0,1' for DDP over 2 GPUs")
    cuda_visible_devices: str | None = Field(
        description="the value CUDA_VISIBLE_DEVICES must have before CUDA starts ('' hides every GPU); None: leave it")
    gpu_ids: list[str] = Field(description="the GPUs given to the run, as Ray (or the machine) numbers them")
    fraction: float | None = Field(default=None, description="the share of one GPU, when less than a whole one")

    @property
    def distributed(self) -> bool:
        """Whether ultralytics trains with DDP over several GPUs."""
        return len(self.gpu_ids) > 1

    def summary(self) -> str:
        """What the run trains on, for its log and its experiment info.

        Example:
            >>> plan_devices(num_gpus=2, ray_gpu_ids=[3, 5]).summary()
            '0,1 (DDP over GPUs 3,5)'
        """
        if not self.gpu_ids:
            return "cpu"
        if self.distributed:
            return f"{self.device} (DDP over GPUs {','.join(self.gpu_ids)})"
        share = f", shared: {self.fraction:g} of it" if self.fraction is not None else ""
        return f"{self.device} (GPU {self.gpu_ids[0]}{share})"


def _check_num_gpus(num_gpus: float | None) -> float | None:
    if num_gpus is None:
        return None
    if isinstance(num_gpus, bool) or not isinstance(num_gpus, (int, float)) or num_gpus < 0:
        raise InputError("num_gpus", "a number of GPUs >= 0 (a fraction shares one GPU)", got=num_gpus)
    if num_gpus > 1 and float(num_gpus) != int(num_gpus):
        raise InputError("num_gpus", "a whole number of GPUs above 1 (fractions only below 1)", got=num_gpus)
    return float(num_gpus)


def plan_devices(num_gpus: float | None, ray_gpu_ids: Sequence[int | str] | None, visible_gpus: int = 0) -> DevicePlan:
    """The device plan for a run that asked for ``num_gpus``.

    ``ray_gpu_ids`` are the ids ``ray.get_gpu_ids()`` returned in the worker, or None when
    the run is not in a Ray worker; then ``visible_gpus`` (torch's device count) decides.

    Example:
        >>> plan_devices(num_gpus=None, ray_gpu_ids=None, visible_gpus=0).device
        'cpu'
        >>> plan_devices(num_gpus=3, ray_gpu_ids=None, visible_gpus=2)
        Traceback (most recent call last):
        ...
        synapse_nb.errors.InputError: num_gpus: expected at most the 2 GPUs visible here, got 3.0
    """
    wanted = _check_num_gpus(num_gpus)
    fraction = wanted if wanted is not None and 0 < wanted < 1 else None
    if ray_gpu_ids is not None:
        ids = [str(i) for i in ray_gpu_ids]
        if not ids:
            return DevicePlan(device="cpu", cuda_visible_devices="", gpu_ids=[])
        device = "cuda:0" if len(ids) == 1 else ",".join(str(i) for i in range(len(ids)))
        return DevicePlan(device=device, cuda_visible_devices=",".join(ids), gpu_ids=ids, fraction=fraction)
    if wanted == 0 or visible_gpus <= 0:
        if wanted and visible_gpus <= 0:
            raise InputError("num_gpus", "0 on a machine without a visible GPU", got=wanted)
        return DevicePlan(device="cpu", cuda_visible_devices=None, gpu_ids=[])
    count = 1 if wanted is None or wanted < 1 else int(wanted)
    if count > visible_gpus:
        raise InputError("num_gpus", f"at most the {visible_gpus} GPUs visible here", got=wanted)
    ids = [str(i) for i in range(count)]
    device = "cuda:0" if count == 1 else ",".join(ids)
    return DevicePlan(device=device, cuda_visible_devices=None, gpu_ids=ids, fraction=fraction)


def apply_plan(plan: DevicePlan) -> None:
    """Set ``CUDA_VISIBLE_DEVICES`` as the plan needs (before anything starts CUDA here)."""
    if plan.cuda_visible_devices is None:
        return
    current = os.environ.get(CUDA_VISIBLE)
    if current != plan.cuda_visible_devices:
        os.environ[CUDA_VISIBLE] = plan.cuda_visible_devices
        if plan.cuda_visible_devices == "":
            logger.info("no GPU was given to this run: CUDA hidden (it was %r)", current)


def _visible_gpus() -> int:
    try:
        import torch
    except ImportError:
        return 0
    return int(torch.cuda.device_count()) if torch.cuda.is_available() else 0


def task_devices(num_gpus: float | None, in_ray_worker: bool) -> DevicePlan:
    """Plan this process's device (asking Ray in a Ray worker, torch otherwise) and apply it.

    Example:
        >>> task_devices(num_gpus=0, in_ray_worker=False).device
        'cpu'
    """
    if in_ray_worker:
        import ray

        plan = plan_devices(num_gpus, ray.get_gpu_ids())
    else:
        plan = plan_devices(num_gpus, None, visible_gpus=0 if num_gpus == 0 else _visible_gpus())
    apply_plan(plan)
    return plan
