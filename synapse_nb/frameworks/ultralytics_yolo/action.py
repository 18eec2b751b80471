"""YoloTrainAction: the built-in train action of the ultralytics YOLO framework.

It trains from the resolved checkpoint (a registry model, local weights, or the model's
config when no weights exist here), logs every epoch through autolog, keeps the last
checkpoint on the backend for ``task.retry()``, reports each epoch to Ray Tune in tuning
mode, exports to ONNX (checking the export against the PyTorch model) and benchmarks both
on the val split with pycocotools.

Example:
    >>> YoloTrainAction.target_format
    'yolo'
"""

from __future__ import annotations

__all__ = ["CHECKPOINT_INTERVAL_ENV", "RESUME_FILE", "SPEEDTEST_SECONDS_ENV", "YoloParams", "YoloTrainAction"]

import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

from synapse_nb._atomic import atomic_path
from synapse_nb.actions.train.action import BaseTrainAction
from synapse_nb.actions.train.params import BaseTrainParams
from synapse_nb.errors import InputError, StepFailed

# Seconds between uploads of the last checkpoint (for resume on another machine).
CHECKPOINT_INTERVAL_ENV = "SYNAPSE_NB_CHECKPOINT_INTERVAL"
# Seconds of timed runs per batch size and runtime in a CPU speed test (the 100 runs of the
# reference protocol are cut short past it).
SPEEDTEST_SECONDS_ENV = "SYNAPSE_NB_SPEEDTEST_SECONDS"


def _speedtest_seconds() -> float:
    raw = os.environ.get(SPEEDTEST_SECONDS_ENV, "2")
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise InputError(SPEEDTEST_SECONDS_ENV, "a positive number of seconds", got=raw)
    return value
RESUME_FILE = "checkpoints/last.pt"


class YoloParams(BaseTrainParams):
    """YOLO's params: the ultralytics arguments travel in ``hyperparameter``."""


class _RunSink:
    def __init__(self, action: YoloTrainAction) -> None:
        self.action = action

    def log_metric(self, category: str, key: str, value: float, *, epoch: int | None = None,
                   step: int | None = None) -> None:
        self.action.runtime.run.log_metric(category, key, value, epoch=epoch, step=step)

    def set_progress(self, current: float, total: float, category: str) -> None:
        self.action.set_progress(current, total, category)


class _KeepLastCheckpoint:
    """Each epoch, queue the last checkpoint for upload (at most every ``interval`` s)."""

    def __init__(self, action: YoloTrainAction, interval: float) -> None:
        self.action = action
        self.interval = interval
        self._last = 0.0

    def __call__(self, epoch: int, metrics: dict[str, float], trainer: Any) -> None:
        now = time.monotonic()
        last = Path(trainer.last)
        if now - self._last < self.interval or not last.is_file():
            return
        self._last = now
        snapshot = self.action.context.work_dir / "resume" / "last.pt"
        with atomic_path(snapshot) as tmp:
            shutil.copy2(last, tmp)
        self.action.runtime.run.upload_file(RESUME_FILE, snapshot)


class _ReportToTune:
    """In tuning: report each epoch to Ray Tune, after keeping the trial's weights."""

    def __init__(self, reporter: Any) -> None:
        self.reporter = reporter
        self._args_kept = False

    def __call__(self, epoch: int, metrics: dict[str, float], trainer: Any) -> None:
        args_file = Path(trainer.save_dir) / "args.yaml"
        if not self._args_kept and args_file.is_file():
            import yaml

            # What ultralytics really trains with, for the trial's model even if it is stopped.
            self.reporter.keep_model_config({"train_args": yaml.safe_load(args_file.read_text())})
            self._args_kept = True
        last = epoch + 1 >= int(trainer.epochs)
        if not last:  # the final epoch's weights become the trial's model
            weights = Path(trainer.best) if Path(trainer.best).is_file() else Path(trainer.last)
            self.reporter.keep_weights(weights if weights.is_file() else None)
        # The final epoch's report waits until the trial has registered its model.
        self.reporter.report(metrics, epoch=epoch, checkpoint_dir=Path(trainer.wdir), last=last)


class YoloTrainAction(BaseTrainAction[YoloParams]):
    """Train an ultralytics YOLO model (detection or instance segmentation)."""

    target_format = "yolo"
    framework_name = "YOLO"

    def __init__(self, params: Any, runtime: Any) -> None:
        super().__init__(params, runtime)
        self._check_search()
        self.model_info = self._model_info()
        self.task_type = self.model_info.task_type if self.model_info else "object detection"

    def _check_search(self) -> None:
        """Refuse a search whose values ultralytics would ignore, before any trial runs (the
        same check ``TrainApi`` makes before submitting; here for tasks created otherwise)."""
        state = self.runtime.state
        if state is None or not state.is_tune or state.search_space is None:
            return
        from synapse_nb.frameworks.ultralytics_yolo.hyperparameters import check_search

        check_search(dict(self.params.hyperparameter), list(state.search_space.names))

    def _model_info(self) -> Any:
        from synapse_nb.frameworks import resolve_model

        state = self.runtime.state
        if state is not None and state.model_ref.kind == "pretrained":
            return resolve_model(str(state.model))
        checkpoint_name = (self.params.checkpoint if isinstance(self.params.checkpoint, str) else None)
        if checkpoint_name and "/" in checkpoint_name and not checkpoint_name.startswith(("/", ".")):
            return resolve_model(checkpoint_name)
        return None

    # -- training ----------------------------------------------------------------------------------

    def _hyperparameters(self) -> dict[str, Any]:
        from synapse_nb.frameworks.ultralytics_yolo import framework

        return framework.validate_hyperparameters(dict(self.params.hyperparameter))

    def _resume_checkpoint(self, run_dir: Path) -> Path | None:
        """A retried task continues from the last checkpoint of the run it retries."""
        if self.runtime.retry_of is None:
            return None
        local = run_dir / "weights" / "last.pt"
        if local.is_file():
            return local
        dest = self.context.work_dir / "resume" / "last.pt"
        if dest.is_file():
            return dest
        try:
            self.client.task.download_file(self.runtime.retry_of, RESUME_FILE, dest)
        except Exception as exc:  # noqa: BLE001 - no checkpoint to resume from: train from the start
            self.runtime.run.log(f"no checkpoint of task {self.runtime.retry_of} to resume from ({exc}); "
                                 "training from the start", level="WARNING")
            return None
        return dest

    def execute(self, data_path: Path, checkpoint: dict[str, Any] | None) -> Any:
        from synapse_nb.frameworks.ultralytics_yolo import SinkAutolog, train_yolo

        hyper = self._hyperparameters()
        epochs = int(hyper.get("epochs", 100))
        weights = checkpoint.get("weights") if checkpoint else None
        if weights is None:
            raise InputError("checkpoint", "a checkpoint with weights (a .pt file)", got=checkpoint)
        trial = self.runtime.trial_id
        run_dir = self.context.work_dir / ("train" if trial is None else "trial")
        resume = self._resume_checkpoint(run_dir) if trial is None else None
        if resume is not None:
            self.runtime.run.log(f"resuming from {resume}")
        elif run_dir.exists():
            shutil.rmtree(run_dir)
        callbacks: list[Any] = [SinkAutolog(_RunSink(self), epochs)]
        if trial is None and self.runtime.api is not None:
            interval = float(os.environ.get(CHECKPOINT_INTERVAL_ENV, "20"))
            callbacks.append(_KeepLastCheckpoint(self, interval))
        if self.runtime.tune_reporter is not None:
            callbacks.append(_ReportToTune(self.runtime.tune_reporter))
        output = train_yolo(Path(data_path), str(weights), hyper, run_dir, callbacks=callbacks, resume=resume,
                            device=self.runtime.device,
                            notify=lambda message: self.runtime.run.log(message, level="WARNING"))
        self._record_experiment(output, checkpoint, hyper)
        return output

    def _record_experiment(self, output: Any, checkpoint: dict[str, Any] | None, hyper: dict[str, Any]) -> None:
        import yaml

        exp = self.context.experiment
        files = [p for p in (output.best, output.last) if p is not None and Path(p).is_file()]
        exp["checkpoint_files"] = [str(p) for p in files]
        exp["best_checkpoint"] = str(output.best or output.last)
        exp["log_files"] = [str(p) for p in (output.save_dir / "results.csv", output.save_dir / "args.yaml") if p.is_file()]
        exp["framework_name"] = self.framework_name
        exp["model_name"] = self.model_info.name if self.model_info else (checkpoint or {}).get("model_name") or "yolo"
        exp["base_checkpoint"] = (checkpoint or {}).get("name")
        exp["training_duration"] = output.duration_s
        exp["device"] = output.device
        exp["hyperparameters_yaml"] = yaml.safe_dump(hyper, sort_keys=False) if hyper else ""
        exp["train_results"] = output.results_dict
        args_file = output.save_dir / "args.yaml"
        if args_file.is_file():
            exp["model_config"] = {"train_args": yaml.safe_load(args_file.read_text())}
        self.context.model_path = str(output.best or output.last)
        self.context.experiment["imgsz"] = int(hyper.get("imgsz", 640))

    # -- export ------------------------------------------------------------------------------------

    def export_model(self, context: Any, formats: list[str]) -> dict[str, Path]:
        from synapse_nb.frameworks.ultralytics_yolo import export_onnx, onnx_parity, tensorrt_available
        from synapse_nb.frameworks.ultralytics_yolo.export import export_tensorrt
        from synapse_nb.frameworks.ultralytics_yolo.runtimes import export_parity

        weights = Path(context.model_path)
        imgsz = int(context.experiment.get("imgsz", 640))
        dest = context.work_dir / "export"
        exported: dict[str, Path] = {}
        if "onnx" in formats:
            onnx_path = export_onnx(weights, imgsz, dest)
            parity = onnx_parity(weights, onnx_path, imgsz=imgsz)
            context.run.log(f"ONNX export checked against PyTorch: {parity.summary()}")
            if not parity.passed:
                raise StepFailed("export_model", f"the ONNX model's outputs differ from PyTorch's: {parity.summary()}")
            context.experiment["onnx_parity"] = parity.model_dump(mode="json")
            exported["onnx"] = onnx_path
        if "tensorrt" in formats:
            ok, reason = tensorrt_available()
            if not ok:
                raise StepFailed("export_model", reason)
            device = context.runtime_ctx.device if context.runtime_ctx.device != "cpu" else "cuda:0"
            engine = export_tensorrt(weights, imgsz, dest, device=device.split(",")[0])
            # TensorRT picks TF32/fp16 kernels: held to 1 % where ONNX (fp32) is held to 0.1 %.
            parity = export_parity(weights, engine, imgsz, device=device.split(",")[0], atol=1e-2, rtol=1e-2)
            context.run.log(f"TensorRT engine checked against PyTorch: {parity.summary()}")
            if not parity.passed:
                raise StepFailed("export_model", f"the TensorRT engine's outputs differ from PyTorch's: {parity.summary()}")
            context.experiment["tensorrt_parity"] = parity.model_dump(mode="json")
            exported["tensorrt"] = engine
        return exported

    # -- benchmark ---------------------------------------------------------------------------------

    def benchmark(self, context: Any, speedtest: bool) -> dict[str, Any]:
        from synapse_nb.benchmark.coco_eval import evaluate_detections
        from synapse_nb.benchmark.predict import coco_image_paths, predict_coco
        from synapse_nb.benchmark.report import BenchmarkReport, check_exports, split_fingerprint
        from synapse_nb.benchmark.speed import SpeedReport, speed_test, yolo_predictor
        from synapse_nb.formats.coco import write_coco
        from synapse_nb.formats.raw import RawDataset

        # The HTML page's figures: plain plotly builders (no ipywidgets), handed to the report.
        from synapse_nb.benchmark.figures import report_figures

        raw_path = context.dataset.get("raw_path")
        if raw_path is None:
            raise InputError("enable_benchmark", "a dataset exported from a project (the val split)", got=None)
        raw = RawDataset.read(Path(raw_path))
        val = RawDataset(meta=raw.meta, items=[i for i in raw.items if i.split == "val"]).attach(raw.root)
        classes = context.dataset.get("classes")
        out_dir = context.work_dir / "benchmark"
        gt_path = write_coco(val, out_dir / "ground_truth", classes=classes)
        images_dir = gt_path.parent / "images"
        imgsz = int(context.experiment.get("imgsz", 640))
        device = context.runtime_ctx.device
        masks = self.task_type == "instance segmentation"
        models = {"pytorch": Path(context.model_path)}
        exports = context.experiment.get("export_files") or {}
        for runtime_name in ("onnx", "tensorrt"):  # each export is scored and timed beside PyTorch
            if exports.get(runtime_name):
                models[runtime_name] = Path(exports[runtime_name])
        evaluation, segmentation = {}, {}
        for runtime_name, model in models.items():
            detections = predict_coco(model, gt_path, images_dir, imgsz, class_names=classes, device=device, masks=masks)
            evaluation[runtime_name] = evaluate_detections(gt_path, detections)
            if masks:
                with_masks = [d for d in detections if d.get("segmentation")]
                segmentation[runtime_name] = evaluate_detections(gt_path, with_masks, iou_type="segm")
            context.set_progress(len(evaluation), len(models) + (1 if speedtest else 0))
        speed = None
        if speedtest:
            images = coco_image_paths(gt_path, images_dir)
            # The reference protocol (batch 1/8/16, 3 warm-up, 100 timed runs), capped by time
            # per batch size so that a CPU run stays short.
            cap = None if str(device).startswith("cuda") else _speedtest_seconds()
            speed = SpeedReport.combine([speed_test(yolo_predictor(m, imgsz, device=device), images, max_seconds=cap)
                                         for m in models.values()])
        checks = check_exports(evaluation)
        for check in checks:
            context.run.log(f"export evaluated on the val split: {check.summary()}",
                            level="INFO" if check.within_tolerance else "WARNING")
        ground_truth = json.loads(gt_path.read_text(encoding="utf-8"))
        report = BenchmarkReport(model_name=context.experiment.get("model_name", "yolo"), val_size=len(val.items),
                                 evaluation=evaluation, speed=speed, task_type=self.task_type, segmentation=segmentation,
                                 export_checks=checks, split_fingerprint=split_fingerprint(ground_truth))
        json_path = report.to_json(out_dir / "report.json")
        html_path = report.to_html(out_dir / "report.html", report_figures, images_dir=images_dir)
        # The F1-optimal confidence becomes the model's default inference threshold.
        context.experiment["default_confidence"] = report.primary.f1_optimal_confidence
        # The whole report (PR curves included) goes to the dashboard as a visualization; the
        # experiment keeps a summary.
        context.run.log_visualization("benchmark", "report", report.model_dump(mode="json"), kind="table")
        summary = {
            "per_class": {name: [c.model_dump(mode="json") for c in ev.per_class] for name, ev in evaluation.items()},
            "speed": [row.model_dump(mode="json") for row in speed.rows] if speed else None,
            "val_size": len(val.items),
            "export_checks": [c.model_dump(mode="json") for c in checks],
        }
        return {"metrics": report.metrics(), "primary_metric": report.primary.primary_metric,
                "summary": summary, "files": {"json": str(json_path), "html": str(html_path)}}
