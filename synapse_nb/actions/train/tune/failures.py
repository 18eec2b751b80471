"""Why a trial or a task failed, in the user's words: a code and a one-line remedy.

:func:`classify` reads an exception (or the text Ray hands the driver for a trial that
failed in another process) and names one of :data:`FAILURE_CODES`. A trial that fails in
its own code records the classified failure in its folder and raises :class:`TrialFailure`;
when Ray retries that trial (its worker's loss is retried once), the record is replayed
instead of training again, so only a lost worker really runs twice.

Example:
    >>> classify(RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")).code
    'out_of_memory'
    >>> classify("ray.exceptions.ActorDiedError: The actor died unexpectedly").code
    'lost_worker'
    >>> classify(ValueError("boom")).describe()
    "plugin_error: ValueError: boom (the train action's code raised: see its traceback in the task log)"
"""

from __future__ import annotations

__all__ = ["FAILED_FILE", "FAILURE_CODES", "Failure", "TrialFailure", "classify", "forget_failures", "raised_by_trial",
           "record_failure", "recorded_failure"]

import json
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

# code -> the one-line remedy shown with it.
FAILURE_CODES: dict[str, str] = {
    "out_of_memory": "lower batch or imgsz, or give each trial more memory (fewer trials at once: "
                     "max_concurrent_trials, or a whole GPU: num_gpus)",
    "cuda_error": "check the NVIDIA driver and the CUDA build of torch (nvidia-smi), or train on the CPU (num_gpus=0)",
    "data_error": "check the project's images and labels and the train/val split (api.project.export shows "
                  "what the trainer reads)",
    "configuration_error": "fix the named field in the hyperparameters, search space or tune_config",
    "plugin_error": "the train action's code raised: see its traceback in the task log",
    "lost_worker": "the trial's process or node died (killed, host out of memory, node lost); it was retried once",
    "checkpoint_missing": "the checkpoint Ray Tune was to restore the trial from is gone from the experiment "
                          "storage (removed, or not shared by every node: see --storage); task.retry() runs it again",
    "no_resources": "no trial could start: ask for fewer CPUs/GPUs per trial (num_cpus, num_gpus) or add nodes",
}
FAILED_FILE = ".synapse_nb_failure.json"

# (code, pattern over "TypeName: message"); the first match wins, so memory comes before CUDA
# ("CUDA out of memory") and a lost worker before everything it may mention.
_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("lost_worker", re.compile(r"ActorDiedError|RayActorError|WorkerCrashedError|NodeDiedError|ActorUnavailableError"
                               r"|worker died|actor died|SIGKILL|OwnerDiedError", re.I)),
    # Ray Tune's own restore of a trial (PBT's exploit, a resumed search), before the trial's code runs.
    ("checkpoint_missing", re.compile(r"Could not recover from checkpoint|does not exist on storage", re.I)),
    ("out_of_memory", re.compile(r"out of memory|OutOfMemoryError|MemoryError|Cannot allocate memory"
                                 r"|CUBLAS_STATUS_ALLOC_FAILED|DefaultCPUAllocator: can't allocate", re.I)),
    ("cuda_error", re.compile(r"CUDA error|CUDA driver|NVIDIA driver|cuDNN|CUDNN_STATUS|no CUDA GPUs|"
                              r"device-side assert|Torch not compiled with CUDA|CUDA initialization", re.I)),
    ("data_error", re.compile(r"dataset|No labels found|images? not found|corrupt|label|annotation"
                              r"|FileNotFoundError|UnidentifiedImageError", re.I)),
    ("configuration_error", re.compile(r"InputError|ValidationError|tune_config|hyperparameter|search.?space"
                                       r"|invalid (argument|value)|unexpected keyword|SyntaxError: .*cfg", re.I)),
)


class Failure(BaseModel):
    """A classified failure: ``code`` (one of FAILURE_CODES), the error line and the remedy."""

    model_config = ConfigDict(frozen=True)

    code: str
    message: str
    remedy: str

    def describe(self) -> str:
        """``code: message (remedy)``, the line the task log and the trials table show."""
        return f"{self.code}: {self.message} ({self.remedy})"


def _text(error: BaseException | str) -> str:
    if isinstance(error, BaseException):
        return f"{type(error).__name__}: {error}"
    return str(error)


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return (lines[-1] if lines else "error")[:500]


_CODE_MARK = re.compile(r"\[(?P<code>[a-z_]+)\] ")


def classify(error: BaseException | str, default: str = "plugin_error") -> Failure:
    """The code of ``error``: an exception, or a trial's error text as Ray reports it.

    A :class:`TrialFailure`'s own code wins (the trial saw the real exception); otherwise
    the type name and message are matched against known failure families, and anything
    else is ``default`` (the plugin's own code raised).

    Example:
        >>> classify("TrialFailure: [data_error] FileNotFoundError: dataset.yaml").code
        'data_error'
        >>> classify(KeyError("lr0"), default="configuration_error").code
        'configuration_error'
    """
    if isinstance(error, TrialFailure):
        return error.failure
    text = _text(error)
    line = _last_line(text)
    marked = _CODE_MARK.search(line)
    if marked and marked.group("code") in FAILURE_CODES:
        code = marked.group("code")
        message = line[marked.end():]
        return Failure(code=code, message=message, remedy=FAILURE_CODES[code])
    for code, pattern in _RULES:
        if pattern.search(text):
            return Failure(code=code, message=line, remedy=FAILURE_CODES[code])
    return Failure(code=default, message=line, remedy=FAILURE_CODES[default])


def raised_by_trial(error: str) -> bool:
    """Whether a trial's error text ends with a :class:`TrialFailure`: the trial's own code
    failed, and the trial logged that itself. Otherwise it failed outside that code (its
    worker lost, Ray Tune's restore of it), where only the driver sees the error.

    Example:
        >>> raised_by_trial("TrialFailure: [data_error] FileNotFoundError: dataset.yaml")
        True
        >>> raised_by_trial("ValueError: Could not recover from checkpoint as it does not exist on storage anymore.")
        False
    """
    marked = _CODE_MARK.search(_last_line(error))
    return bool(marked and marked.group("code") in FAILURE_CODES)


class TrialFailure(RuntimeError):
    """A trial's failure, classified where it happened; its text carries the code for the driver.

    Example:
        >>> str(TrialFailure(Failure(code="data_error", message="FileNotFoundError: x", remedy="r")))
        '[data_error] FileNotFoundError: x'
    """

    def __init__(self, failure: Failure) -> None:
        super().__init__(f"[{failure.code}] {failure.message}")
        self.failure = failure

    def __reduce__(self) -> tuple[Any, ...]:
        # Ray pickles a trial's error to hand it to the driver.
        return (TrialFailure, (self.failure,))


def record_failure(trial_dir: Path, failure: Failure) -> None:
    """Keep the trial's classified failure in its folder (a retry replays it)."""
    trial_dir.mkdir(parents=True, exist_ok=True)
    (trial_dir / FAILED_FILE).write_text(failure.model_dump_json(), encoding="utf-8")


def forget_failures(experiment_dir: Path) -> None:
    """Drop the failures the trials of an experiment recorded: a retried search reruns its
    failed trials for real (the user may have fixed the cause)."""
    for path in Path(experiment_dir).glob(f"**/{FAILED_FILE}"):
        path.unlink(missing_ok=True)


def recorded_failure(trial_dir: Path) -> Failure | None:
    """The failure an earlier attempt of this trial recorded, if any."""
    path = trial_dir / FAILED_FILE
    if not path.is_file():
        return None
    return Failure.model_validate(json.loads(path.read_text(encoding="utf-8")))
