"""Run one ultralytics YOLO training (or resume one) offline: :func:`train_yolo`.

Example:
    >>> out = train_yolo(Path("/data/shapes/dataset.yaml"), "yolo11n.yaml", {"epochs": 3, "imgsz": 128},
    ...                  Path("/runs/exp1/train"))  # doctest: +SKIP
    >>> out.best.name, out.epochs_completed  # doctest: +SKIP
    ('best.pt', 3)
"""

from __future__ import annotations

__all__ = ["TrainOutput", "amp_without_download", "default_device", "train_yolo"]

import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from synapse_nb._offline import configure_ultralytics
from synapse_nb.errors import InputError
from synapse_nb.frameworks.ultralytics_yolo import hyperparameters as hp
from synapse_nb.frameworks.ultralytics_yolo._load import load_model
from synapse_nb.frameworks.ultralytics_yolo.autolog import YoloEpochCallback, attach_epoch_callbacks

logger = logging.getLogger(__name__)

# ultralytics' AMP self-check loads this file from its weights folder and downloads it when
# missing; without it we pick an AMP mode that skips the check (see amp_without_download).
_AMP_CHECK_WEIGHTS = "yolo26n.pt"


class TrainOutput(BaseModel):
    """What a finished YOLO training produced."""

    model_config = ConfigDict(extra="forbid")

    save_dir: Path
    best: Path | None = Field(description="best.pt by validation fitness; None if never saved")
    last: Path
    epochs_completed: int = Field(ge=0)
    results_dict: dict[str, float] = Field(description="final validation metrics (ultralytics names), of best.pt")
    duration_s: float = Field(ge=0)
    device: str
    task: str = Field(description="ultralytics task: detect or segment")


def default_device() -> str:
    """``"cuda:0"`` when torch sees a GPU, else ``"cpu"``.

    Example:
        >>> default_device() in ("cpu", "cuda:0")
        True
    """
    import torch

    return "cuda:0" if torch.cuda.is_available() else "cpu"


def _is_cuda(device: str) -> bool:
    text = device.strip().lower()
    return text.startswith("cuda") or text.replace(",", "").isdigit()


def amp_without_download(device: str, values: dict[str, Any], weights_dir: Path | None = None,
                         bf16_supported: bool | None = None) -> tuple[dict[str, Any], str | None]:
    """Keep ultralytics' AMP check from downloading its reference weights on a GPU.

    The check runs for ``amp`` True/'fp16' on CUDA and loads ``yolo26n.pt`` from
    ultralytics' weights folder (``weights_dir``, default ultralytics' ``WEIGHTS_DIR``, which
    this toolkit points at ``$SYNAPSE_NB_HOME/weights``), downloading it when missing: offline
    that waits on the network, then leaves AMP on unchecked. With the file there (``synapse-nb
    weights pull yolo26n-det``) the check runs as ultralytics intends. Without it, ``amp`` is
    passed explicitly, which ultralytics does not check: bf16 autocast where the GPU supports
    it, else fp32. Returns the values and a notice saying what was decided (None: nothing to say).

    Example:
        >>> amp_without_download("cuda:0", {"epochs": 1}, Path("/nonexistent"), bf16_supported=True)[1]
        "amp=True: ultralytics' AMP check would download yolo26n.pt (not in /nonexistent); training with amp='bf16' instead (run `synapse-nb weights pull yolo26n-det` to let the check run)"
        >>> amp_without_download("cpu", {"amp": True})
        ({'amp': True}, None)
    """
    amp = values.get("amp", True)
    if not _is_cuda(device) or amp in (False, "fp32", "bf16"):
        return values, None
    if weights_dir is None:
        from ultralytics.utils import WEIGHTS_DIR

        weights_dir = Path(WEIGHTS_DIR)
    if (Path(weights_dir) / _AMP_CHECK_WEIGHTS).is_file():
        return values, None
    if bf16_supported is None:
        import torch

        bf16_supported = bool(torch.cuda.is_bf16_supported())
    chosen: str | bool = "bf16" if bf16_supported else False
    notice = (f"amp={amp!r}: ultralytics' AMP check would download {_AMP_CHECK_WEIGHTS} (not in {weights_dir}); "
              f"training with amp={chosen!r} instead (run `synapse-nb weights pull yolo26n-det` to let the check run)")
    logger.warning(notice)
    return {**values, "amp": chosen}, notice


def _check_inputs(data_yaml: Path, model: str | Path, run_dir: Path, resume: Path | None) -> None:
    if not data_yaml.is_file():
        raise InputError("data_yaml", "an existing dataset YAML file", got=str(data_yaml))
    if resume is not None:
        if resume.suffix != ".pt" or not resume.is_file():
            raise InputError("resume", "the last.pt of an interrupted run", got=str(resume))
        return
    text = str(model)
    if text.endswith(".pt"):
        if not Path(text).expanduser().is_file():
            raise InputError("model", "an existing .pt file or a model YAML such as 'yolo11n.yaml'", got=text)
    elif not text.endswith((".yaml", ".yml")):
        raise InputError("model", "a model YAML (e.g. 'yolo11n.yaml') or a .pt file", got=text)
    if run_dir.exists() and (not run_dir.is_dir() or any(run_dir.iterdir())):
        raise InputError(
            "run_dir",
            "a new or empty folder",
            got=str(run_dir),
            hint="a run never writes over an earlier one; resume an interrupted run with resume=<last.pt>",
        )


def train_yolo(
    data_yaml: Path,
    model: str | Path,
    hyperparameters: dict[str, Any],
    run_dir: Path,
    callbacks: Sequence[YoloEpochCallback] = (),
    resume: Path | None = None,
    device: str | None = None,
    notify: Callable[[str], None] | None = None,
) -> TrainOutput:
    """Train ``model`` (a YAML name or ``.pt``) on ``data_yaml``; write the run into ``run_dir``.

    ``hyperparameters`` are ultralytics training arguments, validated first (an
    :class:`InputError` names a bad key before anything runs). ``callbacks`` are called once
    per epoch (see :mod:`.autolog`). ``resume=<last.pt>`` continues an interrupted run from
    its next epoch with the checkpoint's own settings (``hyperparameters`` and ``model`` are
    then ignored, as ultralytics does). ``device`` defaults to :func:`default_device`; several
    GPUs (``"0,1"``) train with ultralytics' DDP, in subprocesses where ``callbacks`` do not
    run. ``notify`` receives notices for the run's log (e.g. how AMP was set).

    Example:
        >>> out = train_yolo(Path("dataset.yaml").resolve(), "yolov8n.yaml",
        ...                  {"epochs": 2, "imgsz": 64}, Path("runs/a").resolve())  # doctest: +SKIP
        >>> sorted(p.name for p in out.save_dir.joinpath("weights").iterdir())  # doctest: +SKIP
        ['best.pt', 'last.pt']
    """
    data_yaml = Path(data_yaml).expanduser().resolve()
    run_dir = Path(run_dir).expanduser().resolve()
    resume = Path(resume).expanduser().resolve() if resume is not None else None
    _check_inputs(data_yaml, model, run_dir, resume)
    values = hp.validate(dict(hyperparameters)) if resume is None else {}
    configure_ultralytics()
    device = device or default_device()
    values, amp_notice = amp_without_download(device, values)
    if amp_notice and notify is not None:
        notify(amp_notice)
    if "," in device and callbacks:
        ddp_notice = (f"training on GPUs {device} with DDP: ultralytics runs it in subprocesses, where the "
                      "per-epoch callbacks do not run; the final metrics are recorded at the end")
        logger.warning(ddp_notice)
        if notify is not None:
            notify(ddp_notice)

    yolo = load_model(str(resume if resume is not None else model))
    attach_epoch_callbacks(yolo, callbacks)
    started = time.perf_counter()
    if resume is not None:
        yolo.train(resume=str(resume), data=str(data_yaml), device=device, save_dir=str(run_dir))
    else:
        yolo.train(
            data=str(data_yaml),
            project=str(run_dir.parent),
            name=run_dir.name,
            exist_ok=True,
            device=device,
            **values,
        )
    duration = time.perf_counter() - started

    trainer = yolo.trainer
    metrics = getattr(trainer.validator, "metrics", None)
    results = {k: float(v) for k, v in (metrics.results_dict.items() if metrics is not None else [])}
    return TrainOutput(
        save_dir=Path(trainer.save_dir),
        best=Path(trainer.best) if Path(trainer.best).is_file() else None,
        last=Path(trainer.last),
        epochs_completed=int(trainer.epoch) + 1,
        results_dict=results,
        duration_s=duration,
        device=str(trainer.device) if "," not in device else f"{device} (DDP over {len(device.split(','))} GPUs)",
        task=str(yolo.task),
    )
