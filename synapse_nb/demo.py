"""The demo behind ``make demo``: train a YOLO model on the sample project, end to end.

It starts the embedded backend and a local agent (``Api.from_env()``), imports the
synthetic sample project, runs ``TrainApi.run`` (export, YOLO conversion, training,
ONNX export checked against PyTorch, COCO benchmark of both, model upload), and prints the
experiment with the mAP it reached next to what guessing would score.

Example:
    >>> DEMO_HYPERPARAMETERS.splitlines()[0]
    'epochs: 30'
"""

from __future__ import annotations

__all__ = ["DEMO_HYPERPARAMETERS", "main"]

import argparse
import sys

DEMO_HYPERPARAMETERS = """epochs: 30
imgsz: 128
batch: 16
seed: 0
"""


def _print_experiment(task: object) -> float:
    experiment = task.experiment  # type: ignore[attr-defined]
    metrics = experiment.evaluation_metrics
    print("\nExperiment")
    print(f"  name              {experiment.experiment_name}")
    print(f"  model             {experiment.framework_name}/{experiment.model_name} (model id {experiment.model_id})")
    print(f"  train / val       {experiment.train_size} / {experiment.val_size} images")
    print(f"  training          {experiment.training_duration:.0f} s on {experiment.device}")
    print(f"  best checkpoint   {experiment.best_checkpoint}")
    print(f"  exports           {', '.join(f'{k}: {v}' for k, v in experiment.export.items()) or 'none'}")
    print("\nCOCO evaluation on the val split (pycocotools)")
    print(f"  mAP50-95  {metrics.get('map', 0):.3f}    (ONNX {metrics.get('onnx/map', float('nan')):.3f})")
    print(f"  mAP50     {metrics.get('map50', 0):.3f}    (ONNX {metrics.get('onnx/map50', float('nan')):.3f})")
    print(f"  mAP75     {metrics.get('map75', 0):.3f}")
    report = experiment.benchmark_report or {}
    for row in (report.get("per_class") or {}).get("pytorch", []):
        ap = row.get("ap50")
        print(f"    {row['class_name']:<10} AP50 {ap:.3f}" if ap is not None else f"    {row['class_name']:<10} no objects")
    for row in report.get("speed") or []:
        print(f"  speed {row['runtime']:<11} batch {row['batch_size']:>2}: {row['total_ms']:.1f} ms/image")
    print("\n  An untrained detector scores mAP50 ~0.00 here: every number above was learned.")
    return float(metrics.get("map50", 0.0))


def _weights_line(model: str) -> str:
    """Whether the run fine-tunes from pretrained weights or trains from scratch, and how to change it.

    Example:
        >>> _weights_line("YOLO/yolo11n-det").startswith(("weights: pretrained", "weights: none here"))
        True
    """
    from synapse_nb.frameworks import resolve_model
    from synapse_nb.weights import downloads_allowed, status_of

    info = resolve_model(model)
    status = status_of(info.weights)
    if status == "local":
        return f"weights: pretrained {info.weights} here, the run fine-tunes from it"
    if status == "pullable" and downloads_allowed():
        return f"weights: none here; the run pulls {info.weights} first (SYNAPSE_NB_ALLOW_DOWNLOADS=1)"
    hint = f" (`synapse-nb weights pull {info.name}` to fine-tune instead)" if status == "pullable" else ""
    return f"weights: none here for {info.weights}, the run trains from scratch{hint}"


def main(argv: list[str] | None = None) -> int:
    """Run the demo; exit status 1 if the model learned nothing (mAP50 <= 0.3)."""
    parser = argparse.ArgumentParser(prog="python -m synapse_nb.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=192, help="sample project size (default 192)")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--model", default="YOLO/yolov8n-det")
    args = parser.parse_args(argv)

    import synapse_nb as snb

    print("Starting the embedded backend and a local agent...")
    api = snb.Api.from_env()
    print(f"  backend {api.url}")
    project = api.project.import_samples(num_images=args.images, image_size=128, name="shapes-demo")
    print(f"  sample project {project.id}: {project.item_count} images, classes {project.class_names()}")
    agent_id = api.agent.local()
    print(f"  {_weights_line(args.model)}")
    hyperparameters = DEMO_HYPERPARAMETERS.replace("epochs: 30", f"epochs: {args.epochs}")
    task = snb.TrainApi(api).run(
        agent_id, project.id, model=args.model,
        train_val_split=snb.RandomSplit(percent=80, split="train", seed=0),
        hyperparameters=hyperparameters, export_onnx=True, enable_benchmark=True, enable_speedtest=True,
    )
    print(f"  task {task.id} submitted to agent {agent_id}: training {args.model} for {args.epochs} epochs")
    task.wait()
    map50 = _print_experiment(task)
    return 0 if map50 > 0.3 else 1


if __name__ == "__main__":
    sys.exit(main())
