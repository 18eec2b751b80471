"""Dataset conversion: project -> YOLO against ultralytics' own COCO -> YOLO converter.

Run with ``python -m bench convert`` (``--quick`` for 500 images instead of 5,000).
"""

from __future__ import annotations

import io
import logging
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from bench._common import BenchResult, timed

TITLE = "Dataset conversion and sample generation"
DESCRIPTION = """
A sample project of 128 px images (3 classes, 1-4 objects each, split by tags) is converted
to YOLO detection labels by `write_yolo` (hard-linked images, one label file per image,
dataset.yaml). The baseline is ultralytics' own `convert_coco` run in the same process on
the same data: the project's COCO export (`annotations_train.json` and
`annotations_val.json`, written beforehand and not timed), with `cls91to80=False`. The
baseline writes label files only; ours also places the images. Conversion times are the
median of 3 runs into fresh folders. The cached re-run is `DatasetCache.prepare` on the
unchanged project after a first build, against a full `write_yolo`. Conversion is
measured twice: into the machine's disk (where the cache lives) and into /dev/shm (a
memory file system, which leaves mostly the work of the converters themselves). Sample generation
(`generate_sample_project`) is compared with writing the same number of plain noise JPEGs
of the same size with PIL and numpy.
"""

REPEATS = 3
SHM = Path("/dev/shm")
GEN_GOAL_RATE = 200.0  # images/s: 1,000 images of 128 px in 5 s


def _plain_noise_images(dest: Path, n: int, size: int) -> None:
    from PIL import Image

    dest.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i in range(n):
        pixels = rng.integers(0, 256, size=(size, size, 3), dtype=np.uint8)
        buffer = io.BytesIO()
        Image.fromarray(pixels, "RGB").save(buffer, format="JPEG", quality=90)
        (dest / f"noise_{i:05d}.jpg").write_bytes(buffer.getvalue())


def _convert_pair(raw, ann_dir: Path, out: Path, convert_coco, write_yolo) -> tuple[float, float, int]:  # noqa: ANN001
    """Median seconds of write_yolo and of convert_coco, runs alternating so that a busy
    moment on the machine hits both alike; and the number of label files the baseline wrote."""
    ours, theirs = [], []
    for k in range(REPEATS):
        start = time.perf_counter()
        write_yolo(raw, out / f"ours-{k}", task="detect")
        ours.append(time.perf_counter() - start)
        start = time.perf_counter()
        convert_coco(str(ann_dir), str(out / f"theirs-{k}"), use_segments=False, cls91to80=False)
        theirs.append(time.perf_counter() - start)
    labels = sum(1 for _ in (out / "theirs-0" / "labels").rglob("*.txt"))
    return statistics.median(ours), statistics.median(theirs), labels


def run(quick: bool) -> list[BenchResult]:
    """Measure generation, conversion and cached re-run for 500 (quick) or 5,000 images."""
    from synapse_nb._offline import configure_ultralytics

    configure_ultralytics()
    from ultralytics.data.converter import convert_coco
    from ultralytics.utils import LOGGER

    from synapse_nb.formats.cache import DatasetCache
    from synapse_nb.formats.coco import write_coco
    from synapse_nb.formats.yolo import write_yolo
    from synapse_nb.samples import generate_sample_project

    LOGGER.setLevel(logging.WARNING)  # its per-file progress lines are not what we measure
    n, size = (500 if quick else 5000), 128
    results: list[BenchResult] = []
    with tempfile.TemporaryDirectory(prefix="snb-bench-convert-") as tmp_name:
        tmp = Path(tmp_name)

        gen_s, raw = timed(lambda: generate_sample_project(tmp / "project", num_images=n, image_size=size, seed=0))
        noise_s, _ = timed(lambda: _plain_noise_images(tmp / "noise", n, size))
        results.append(
            BenchResult(
                name=f"sample generation, {n} images of {size} px",
                value=n / gen_s,
                unit="images/s",
                baseline_name="plain noise JPEGs with PIL",
                baseline_value=n / noise_s,
                ratio=noise_s / gen_s,
                goal=f">= {GEN_GOAL_RATE:.0f} images/s",
                met=n / gen_s >= GEN_GOAL_RATE,
                notes=f"sample generation: {gen_s:.2f} s for {n} images (shapes, annotations, hashes, manifest); plain noise {noise_s:.2f} s",
            )
        )

        for item in raw.items:
            item.split = "val" if "val" in item.tags else "train"
        coco_dir = write_coco(raw, tmp / "coco").parent
        ann_dir = tmp / "coco-annotations"
        ann_dir.mkdir()
        for side in ("train", "val"):
            (coco_dir / f"annotations_{side}.json").rename(ann_dir / f"annotations_{side}.json")

        places = [("disk", tmp, raw)]
        if SHM.is_dir():
            # Source and output on the same memory file system, so images are still hard-linked.
            shm = Path(tempfile.mkdtemp(prefix="snb-bench-convert-", dir=SHM))
            shutil.copytree(raw.root, shm / "project")
            places.append(("tmpfs", shm, raw.model_copy(deep=True).attach(shm / "project")))
        try:
            for place, out, source in places:
                ours_s, theirs_s, labels = _convert_pair(source, ann_dir, out, convert_coco, write_yolo)
                if place == "disk":
                    full_write_s = ours_s
                results.append(
                    BenchResult(
                        name=f"project -> YOLO, {n} images ({place})",
                        value=ours_s,
                        unit="s",
                        baseline_name="ultralytics convert_coco",
                        baseline_value=theirs_s,
                        ratio=theirs_s / ours_s,
                        goal=">= 5x faster",
                        met=theirs_s / ours_s >= 5,
                        extra={"baseline_label_files": labels, "images": n, "output_folder": place},
                        notes=(
                            f"project -> YOLO ({place}): ratio = convert_coco time / write_yolo time, medians of "
                            f"{REPEATS} alternating runs"
                            + ("; output on the machine's disk, shared with other work" if place == "disk" else "; output on /dev/shm, so file-system cost is small")
                        ),
                    )
                )
        finally:
            for place, out, _ in places:
                if place == "tmpfs":
                    shutil.rmtree(out, ignore_errors=True)

        cache = DatasetCache(tmp / "cache")
        first_s, _ = timed(lambda: cache.prepare(raw, "yolo", task="detect", key_extra={"split": "tags"}))
        cached_s, _ = timed(lambda: cache.prepare(raw, "yolo", task="detect", key_extra={"split": "tags"}), repeat=5)
        results.append(
            BenchResult(
                name=f"cached re-run (DatasetCache), {n} images",
                value=cached_s,
                unit="s",
                baseline_name="full write_yolo",
                baseline_value=full_write_s,
                ratio=full_write_s / cached_s,
                goal="< 0.5 s",
                met=cached_s < 0.5,
                extra={"first_build_s": first_s},
                notes=f"cached re-run: first build through the cache {first_s:.2f} s; re-run median of 5",
            )
        )
    return results
