"""The GPU check: one prepared run on a machine with an NVIDIA GPU (at most 8 minutes with the
install, see ``bench/gpu_check.sh``), recorded as the GPU section of BENCHMARKS.md.

``python -m bench.gpu_check`` on a GPU machine:

1. writes a 512-image sample project (synthetic shapes, 320 px; 448 train / 64 val) as YOLO data;
2. trains yolo11n from its YAML for 5 epochs at imgsz 320 on GPU 0 twice: plain ultralytics
   (the baseline) and ``train_yolo`` (the toolkit's path: device plan, AMP decision, autolog);
3. exports the toolkit's best.pt to ONNX and runs it with the CUDA execution provider, and to a
   TensorRT engine; both are parity-checked against PyTorch on the GPU;
4. scores PyTorch, ONNX (CUDA) and TensorRT on the val split with ultralytics' validator
   (mAP50 / mAP50-95 side by side) and times them with the toolkit's speed test (batch 1 and 8);
5. checks that a Ray task given ``num_gpus=0`` really trains on the CPU with CUDA hidden.

Results go to ``bench/results/gpu.json`` (and ``$OUT`` when set), then BENCHMARKS.md is
regenerated. ``--smoke`` runs steps 1-4 small on the CPU, without TensorRT, to check the
script itself; it writes nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TITLE = "GPU: training, ONNX Runtime (CUDA) and TensorRT on one GPU"
DESCRIPTION = """
A 512-image sample project (synthetic shapes, 320 px; 448 train / 64 val) trains yolo11n from
its YAML for 5 epochs at imgsz 320 on one GPU, twice in the same run: plain ultralytics
(`YOLO("yolo11n.yaml").train(...)`, the baseline) and the toolkit's `train_yolo` (device plan,
AMP decision, per-epoch autolog). The toolkit's best.pt is exported to ONNX (run with the CUDA
execution provider: the provider the session actually got is recorded) and to a TensorRT engine;
both are parity-checked against PyTorch on the GPU, scored on the val split with ultralytics'
validator, and timed with the toolkit's speed test. Last, a Ray task given `num_gpus=0` trains
one epoch and must report the CPU with CUDA hidden. Script: `bench/gpu_check.sh` (install, then
`python -m bench.gpu_check`), at most 8 minutes.
"""

_CPU_PROBE = """
import json, os, sys, tempfile
from pathlib import Path
import ray

def train_on_zero_gpus(data_yaml, run_dir):
    from synapse_nb.actions.train.devices import task_devices
    plan = task_devices(0, in_ray_worker=True)
    import torch
    from synapse_nb.frameworks.ultralytics_yolo import train_yolo
    out = train_yolo(Path(data_yaml), "yolo11n.yaml", {"epochs": 1, "imgsz": 64, "batch": 8, "workers": 0,
                     "plots": False}, Path(run_dir), device=plan.device)
    return {"plan": plan.device, "cuda_visible": os.environ.get("CUDA_VISIBLE_DEVICES"),
            "torch_sees_cuda": torch.cuda.is_available(), "trained_on": out.device}

ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, _temp_dir=tempfile.mkdtemp(prefix="snbg", dir="/tmp"))
result = ray.get(ray.remote(num_gpus=0, num_cpus=1, max_calls=1)(train_on_zero_gpus).remote(sys.argv[1], sys.argv[2]))
ray.shutdown()
print(json.dumps(result))
"""


def _result(name: str, value: float, unit: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "value": float(value), "unit": unit, "baseline_name": extra.pop("baseline_name", None),
            "baseline_value": extra.pop("baseline_value", None), "ratio": extra.pop("ratio", None),
            "goal": extra.pop("goal", None), "met": extra.pop("met", None), "notes": extra.pop("notes", ""),
            "extra": extra}


def _dataset(work: Path, num_images: int, image_size: int) -> Path:
    from synapse_nb.formats.yolo import write_yolo
    from synapse_nb.samples import generate_sample_project

    raw = generate_sample_project(work / "raw", num_images=num_images, image_size=image_size, num_classes=3, seed=0)
    for index, item in enumerate(raw.items):
        item.split = "val" if index % 8 == 7 else "train"
    return write_yolo(raw, work / "yolo", task="detect")


def _val(path: Path, data: Path, imgsz: int, device: str) -> tuple[float, float]:
    from synapse_nb.frameworks.ultralytics_yolo._load import load_model

    metrics = load_model(str(path)).val(data=str(data), imgsz=imgsz, device=device, batch=16, plots=False,
                                        verbose=False, workers=0)
    return float(metrics.box.map50), float(metrics.box.map)


def _speed(path: Path, images: list[Path], imgsz: int, device: str) -> dict[str, Any]:
    from synapse_nb.benchmark.speed import speed_test, yolo_predictor

    report = speed_test(yolo_predictor(path, imgsz, device=device), images, batch_sizes=(1, 8), warmup=3, runs=10)
    return {f"batch {r.batch_size}": r.inference_ms for r in report.rows}


def run(smoke: bool) -> dict[str, Any]:
    import synapse_nb  # noqa: F401  (offline settings first)
    import torch

    from synapse_nb._offline import configure_ultralytics
    from synapse_nb.actions.train.devices import plan_devices
    from synapse_nb.frameworks.ultralytics_yolo import export_onnx, train_yolo
    from synapse_nb.frameworks.ultralytics_yolo.export import export_tensorrt
    from synapse_nb.frameworks.ultralytics_yolo.runtimes import export_parity
    from synapse_nb.frameworks.ultralytics_yolo.train import amp_without_download

    if not smoke and not torch.cuda.is_available():
        raise SystemExit("gpu_check: no CUDA GPU visible to torch; nothing measured (use --smoke on a CPU)")
    configure_ultralytics()
    from ultralytics import YOLO

    num_images, imgsz, epochs = (32, 64, 1) if smoke else (512, 320, 5)
    device = "cpu" if smoke else plan_devices(1, None, visible_gpus=torch.cuda.device_count()).device
    gpu = "cpu (smoke)" if smoke else torch.cuda.get_device_name(0)
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="snb-gpu-") as tmp:
        work = Path(tmp)
        data = _dataset(work, num_images, imgsz)
        hyper = {"epochs": epochs, "imgsz": imgsz, "batch": 32, "workers": 4, "plots": False, "seed": 0}
        # The baseline gets the AMP setting the toolkit picks, so both train the same way offline.
        amp = amp_without_download(device, {})[0].get("amp", True)

        started = time.perf_counter()
        YOLO("yolo11n.yaml").train(data=str(data), project=str(work / "plain"), name="run", device=device,
                                   amp=amp, verbose=False, **hyper)
        plain_s = time.perf_counter() - started
        plain_best = work / "plain" / "run" / "weights" / "best.pt"
        ours = train_yolo(data, "yolo11n.yaml", {**hyper, "amp": amp}, work / "ours", device=device)
        results.append(_result(f"train yolo11n, {epochs} epochs, imgsz {imgsz}", ours.duration_s, "s",
                               baseline_name="plain ultralytics", baseline_value=plain_s,
                               ratio=ours.duration_s / plain_s, goal="<= 1.05x plain ultralytics",
                               met=ours.duration_s <= 1.05 * plain_s, device=ours.device, gpu=gpu, amp=str(amp)))
        best = ours.best or ours.last
        exports: dict[str, Path] = {"pytorch": best}
        exports["onnx"] = export_onnx(best, imgsz, work / "export")
        if not smoke:
            exports["tensorrt"] = export_tensorrt(best, imgsz, work / "export", device=device)
        for name, path in exports.items():
            if name == "pytorch":
                continue
            tolerance = 1e-3 if name == "onnx" else 1e-2
            parity = export_parity(best, path, imgsz, device=device, atol=tolerance, rtol=tolerance)
            results.append(_result(f"{name} parity vs PyTorch (max abs diff)", parity.max_abs_diff, "",
                                   goal=f"within atol=rtol={tolerance:g}", met=parity.passed,
                                   notes=f"{name}: {parity.summary()}", provider=parity.provider))
        plain_map = _val(plain_best, data, imgsz, device)
        images = sorted(p for p in (data.parent / "images" / "val").rglob("*") if p.is_file())[:64]
        for name, path in exports.items():
            map50, map5095 = _val(path, data, imgsz, device)
            speed = _speed(path, images, imgsz, device)
            results.append(_result(f"{name}: val mAP50-95", map5095, "", baseline_name="plain ultralytics best.pt",
                                   baseline_value=plain_map[1], map50=map50, inference_ms=speed,
                                   notes=f"{name}: mAP50 {map50:.3f}; inference ms per image {speed}"))
        if not smoke:
            probe = subprocess.run([sys.executable, "-c", _CPU_PROBE, str(data), str(work / "cpu-run")],
                                   capture_output=True, text=True, timeout=240, check=True)
            cpu = json.loads(probe.stdout.strip().splitlines()[-1])
            on_cpu = cpu["plan"] == "cpu" and cpu["cuda_visible"] == "" and not cpu["torch_sees_cuda"] and cpu["trained_on"] == "cpu"
            results.append(_result("num_gpus=0 trains on the CPU, CUDA hidden", 1.0 if on_cpu else 0.0, "",
                                   goal="1 (yes)", met=on_cpu, notes=f"Ray task with num_gpus=0: {cpu}"))
    return {"topic": "gpu", "title": TITLE, "description": DESCRIPTION,
            "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": f"{gpu}, {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
            "quick": False, "results": results}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.gpu_check", description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="small, on the CPU, no TensorRT; writes nothing")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    record = run(args.smoke)
    for r in record["results"]:
        print(f"  {r['name']}: {r['value']:.4g} {r['unit']}  met={r['met']}  {r['notes']}", flush=True)
    if args.smoke:
        print("smoke run: nothing recorded")
        return 0
    text = json.dumps(record, indent=2)
    (HERE / "results" / "gpu.json").write_text(text, encoding="utf-8")
    if os.environ.get("OUT"):
        Path(os.environ["OUT"]).mkdir(parents=True, exist_ok=True)
        shutil.copy2(HERE / "results" / "gpu.json", Path(os.environ["OUT"]) / "gpu.json")
    from bench.__main__ import write_markdown

    print(f"wrote {write_markdown()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
