"""Which device a run trains on, from the GPU ids Ray gave it (made-up id lists, any machine)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from synapse_nb.actions.train.devices import CUDA_VISIBLE, apply_plan, plan_devices, task_devices
from synapse_nb.errors import InputError
from synapse_nb.frameworks.ultralytics_yolo.train import amp_without_download


def test_no_gpu_from_ray_trains_on_the_cpu_with_cuda_hidden() -> None:
    plan = plan_devices(num_gpus=0, ray_gpu_ids=[])
    assert (plan.device, plan.cuda_visible_devices, plan.gpu_ids, plan.summary()) == ("cpu", "", [], "cpu")
    # The same when the task asked for nothing and the cluster has no GPU.
    assert plan_devices(num_gpus=None, ray_gpu_ids=[]).cuda_visible_devices == ""


def test_one_gpu_is_the_one_ray_gave() -> None:
    plan = plan_devices(num_gpus=1, ray_gpu_ids=[6])
    assert (plan.device, plan.cuda_visible_devices, plan.distributed) == ("cuda:0", "6", False)
    assert plan.summary() == "cuda:0 (GPU 6)"


def test_several_gpus_train_with_ddp_on_exactly_those() -> None:
    plan = plan_devices(num_gpus=4, ray_gpu_ids=["1", "3", "4", "7"])
    assert (plan.device, plan.cuda_visible_devices, plan.distributed) == ("0,1,2,3", "1,3,4,7", True)
    assert plan.summary() == "0,1,2,3 (DDP over GPUs 1,3,4,7)"


def test_fractional_gpus_in_tuning_share_one_device() -> None:
    plans = [plan_devices(num_gpus=0.25, ray_gpu_ids=[2]) for _ in range(4)]
    assert {p.device for p in plans} == {"cuda:0"} and {p.cuda_visible_devices for p in plans} == {"2"}
    assert plans[0].fraction == 0.25 and plans[0].summary() == "cuda:0 (GPU 2, shared: 0.25 of it)"


@given(st.lists(st.integers(min_value=0, max_value=15), unique=True, max_size=8))
def test_the_plan_uses_every_gpu_given_and_no_other(ids: list[int]) -> None:
    plan = plan_devices(num_gpus=len(ids), ray_gpu_ids=ids)
    assert plan.gpu_ids == [str(i) for i in ids]
    assert plan.cuda_visible_devices == ",".join(str(i) for i in ids)
    indices = [] if plan.device == "cpu" else (["0"] if plan.device == "cuda:0" else plan.device.split(","))
    assert indices == [str(i) for i in range(len(ids))]


def test_outside_ray_the_visible_gpus_decide_and_cuda_is_left_alone() -> None:
    assert plan_devices(num_gpus=0, ray_gpu_ids=None, visible_gpus=2).model_dump(
        include={"device", "cuda_visible_devices"}) == {"device": "cpu", "cuda_visible_devices": None}
    assert plan_devices(num_gpus=None, ray_gpu_ids=None, visible_gpus=2).device == "cuda:0"
    assert plan_devices(num_gpus=2, ray_gpu_ids=None, visible_gpus=2).device == "0,1"
    assert plan_devices(num_gpus=None, ray_gpu_ids=None, visible_gpus=0).device == "cpu"


@pytest.mark.parametrize(("num_gpus", "visible"), [(3, 2), (1, 0), (-1, 1), (1.5, 2), (True, 1)])
def test_an_impossible_request_names_num_gpus(num_gpus: object, visible: int) -> None:
    with pytest.raises(InputError) as caught:
        plan_devices(num_gpus=num_gpus, ray_gpu_ids=None, visible_gpus=visible)  # type: ignore[arg-type]
    assert caught.value.field == "num_gpus"


def test_applying_a_cpu_plan_really_hides_cuda_from_torch(tmp_path: Path) -> None:
    # In a fresh process, as a Ray worker is: the plan is applied before torch starts CUDA.
    script = (
        "from synapse_nb.actions.train.devices import apply_plan, plan_devices\n"
        "apply_plan(plan_devices(num_gpus=0, ray_gpu_ids=[]))\n"
        "import os, torch\n"
        "print(repr(os.environ['CUDA_VISIBLE_DEVICES']), torch.cuda.is_available(), torch.cuda.device_count())\n"
    )
    env = {**os.environ, CUDA_VISIBLE: "0"}
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300,
                         cwd=tmp_path, check=True)
    assert out.stdout.split() == ["''", "False", "0"]


def test_a_local_run_without_gpus_is_on_the_cpu_and_leaves_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CUDA_VISIBLE, "0")
    plan = task_devices(num_gpus=0, in_ray_worker=False)
    assert plan.device == "cpu" and os.environ[CUDA_VISIBLE] == "0"
    apply_plan(plan)
    assert os.environ[CUDA_VISIBLE] == "0"


def test_the_amp_check_never_downloads_and_says_what_it_chose(tmp_path: Path) -> None:
    values, notice = amp_without_download("cuda:0", {"amp": True}, tmp_path, bf16_supported=False)
    assert values == {"amp": False}
    assert notice is not None and "yolo26n.pt" in notice and "amp=False" in notice
    assert amp_without_download("0,1", {}, tmp_path, bf16_supported=True)[0] == {"amp": "bf16"}
    # With the reference weights here (pulled or placed), ultralytics' own check runs.
    (tmp_path / "yolo26n.pt").write_bytes(b"x")
    assert amp_without_download("cuda:0", {"amp": True}, tmp_path) == ({"amp": True}, None)
    assert amp_without_download("cpu", {}, Path("/nonexistent")) == ({}, None)
    assert amp_without_download("cuda:0", {"amp": False}, Path("/nonexistent")) == ({"amp": False}, None)


_RAY_SCRIPT = """
import json, os, sys, tempfile
import ray
from synapse_nb.actions.train.devices import task_devices
from synapse_nb.agent.capabilities import tensorrt_on_cluster

def plan(num_gpus):
    p = task_devices(num_gpus, in_ray_worker=True)
    return [p.device, os.environ.get("CUDA_VISIBLE_DEVICES"), p.summary()]

temp = tempfile.mkdtemp(prefix="snbgpu", dir="/tmp")
# Ray accepts declared GPUs on any machine: the scheduling and id assignment are Ray's own.
ray.init(num_cpus=2, num_gpus=2, include_dashboard=False, _temp_dir=temp, log_to_driver=False)
out = {str(n): ray.get(ray.remote(num_gpus=n, num_cpus=0.1, max_calls=1)(plan).remote(n)) for n in (0, 0.5, 1, 2)}
out["trt"] = list(tensorrt_on_cluster(ray.cluster_resources(), timeout=60))
ray.shutdown()
print(json.dumps(out))
"""


@pytest.mark.slow
def test_ray_workers_get_the_devices_of_what_ray_gave_them(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != CUDA_VISIBLE}
    out = subprocess.run([sys.executable, "-c", _RAY_SCRIPT], env=env, capture_output=True, text=True,
                         timeout=300, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    import json

    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["0"][:2] == ["cpu", ""]
    assert got["0.5"][0] == "cuda:0" and got["0.5"][1] in ("0", "1") and "shared: 0.5" in got["0.5"][2]
    assert got["1"][0] == "cuda:0" and got["1"][1] in ("0", "1")
    assert got["2"][0] == "0,1" and sorted(got["2"][1].split(",")) == ["0", "1"]
    # A GPU node answers for TensorRT itself: here its GPUs are declared, not real.
    assert got["trt"][0] is False and got["trt"][1].startswith("TensorRT needs an NVIDIA GPU and the tensorrt package")
