"""The backend: project import through the client, and metric ingestion.

Run with ``python -m bench server`` (``--quick`` for 500 images instead of 5,000).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

from bench._common import BenchResult

TITLE = "Backend: project import and metric ingestion"
DESCRIPTION = """
The backend runs as the embedded background process `Api.from_env()` starts (uvicorn,
SQLite in WAL mode, a temporary home), and the client talks to it over loopback HTTP.

Import: `api.project.import_samples` uploads a generated sample project (128 px JPEGs,
3 classes, 2 datasets, 2 collections, tags) in batches: the client hashes each image, asks
which hashes the backend lacks, and sends those with their annotations; the backend
stores each image under its sha256, reads its size, checks every annotation against the
project and writes the batch in one transaction. The images are generated beforehand (not
timed), and each of the 3 runs imports into a fresh backend (a second import of the same
images would send only their hashes). The baseline copies the same image files with
`shutil.copyfile` into a fresh folder: the floor for moving the bytes, with no hashing,
checking or records. The machine was shared with other work while measuring (load 4-5 on
2 cores), so absolute times vary between runs; the ratios are same-run.

Metric ingestion: `api.task.log_metrics` sends points in batches of 5,000 (one HTTP request
per batch, each with an idempotency key), validated by pydantic on both sides and stored
in one transaction per batch. The baseline inserts the same rows into an identical table
with plain `sqlite3` `executemany`, one transaction per batch, same WAL and synchronous
settings. Both are the median of 3 runs.
"""

REPEATS = 3
BATCH = 5000
IMPORT_GOAL = 200.0  # images/s: a 5,000-image project in under 25 s
INGEST_GOAL = 50_000.0  # points/s


def _median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]


def _copy_baseline(files: list[Path], dest: Path) -> float:
    dest.mkdir(parents=True)
    start = time.perf_counter()
    for i, path in enumerate(files):
        shutil.copyfile(path, dest / f"{i}_{path.name}")
    return time.perf_counter() - start


def _sqlite_baseline(path: Path, rows: list[tuple[object, ...]]) -> float:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(
        "CREATE TABLE metrics (id INTEGER PRIMARY KEY AUTOINCREMENT, task_id INTEGER NOT NULL, category TEXT NOT NULL, "
        "key TEXT NOT NULL, value REAL NOT NULL, step INTEGER, epoch INTEGER, trial_id TEXT, time TEXT NOT NULL)"
    )
    conn.execute("CREATE INDEX metrics_task ON metrics (task_id, id)")
    start = time.perf_counter()
    for offset in range(0, len(rows), BATCH):
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(
            "INSERT INTO metrics (task_id, category, key, value, step, epoch, trial_id, time) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows[offset : offset + BATCH],
        )
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed


def run(quick: bool) -> list[BenchResult]:
    """Measure import and ingestion against their baselines."""
    num_images = 500 if quick else 5000
    num_points = 50_000 if quick else 200_000
    work = Path(tempfile.mkdtemp(prefix="bench-server-"))
    previous = {k: os.environ.get(k) for k in ("SYNAPSE_NB_HOME", "SYNAPSE_NB_URL")}
    os.environ.pop("SYNAPSE_NB_URL", None)
    try:
        from synapse_nb.api import Api
        from synapse_nb.api.resources.projects import sample_folder
        from synapse_nb.samples import generate_sample_project
        from synapse_nb.schemas import MetricPoint, TaskCreate

        gen_start = time.perf_counter()
        generated = work / "generated"
        raw = generate_sample_project(generated, num_images=num_images, image_size=128, num_classes=3, seed=0, name="bench")
        generation = time.perf_counter() - gen_start
        files = [raw.image_path(item) for item in raw.items]
        total_bytes = sum(p.stat().st_size for p in files)

        import_times, copy_times, start_times = [], [], []
        api = None
        for run_index in range(REPEATS):
            # A fresh backend each time: a second import of the same images would only send
            # their hashes, which is not what a first import costs.
            if api is not None:
                Api.shutdown_embedded()
            os.environ["SYNAPSE_NB_HOME"] = str(work / f"home-{run_index}")
            shutil.copytree(generated, sample_folder("bench", num_images, 128, 3, 0), copy_function=os.link)
            copy_times.append(_copy_baseline(files, work / f"copy-{run_index}"))
            start = time.perf_counter()
            api = Api.from_env(start_agent=False, keep_alive=True)
            start_times.append(time.perf_counter() - start)
            start = time.perf_counter()
            project = api.project.import_samples(num_images=num_images, image_size=128, name="bench", num_classes=3, seed=0, progress=False)
            import_times.append(time.perf_counter() - start)
            assert project.item_count == num_images
        assert api is not None
        imported, copied, backend_start = _median(import_times), _median(copy_times), _median(start_times)

        task = api.task.create(TaskCreate(state={"data_path": "/data"}, autostart=False))
        points = [MetricPoint(category="train", key=f"loss{i % 4}", value=i * 0.001, step=i, epoch=i // 1000) for i in range(num_points)]
        stamp = "2026-01-01T00:00:00+00:00"
        rows = [(task.id, p.category, p.key, p.value, p.step, p.epoch, None, stamp) for p in points]
        ingest_times, sqlite_times = [], []
        for run_index in range(REPEATS):
            sqlite_times.append(_sqlite_baseline(work / f"baseline-{run_index}.sqlite3", rows))
            start = time.perf_counter()
            for offset in range(0, num_points, BATCH):
                api.task.log_metrics(task.id, points[offset : offset + BATCH])
            ingest_times.append(time.perf_counter() - start)
        stored = len(api.task.metrics(task.id))
        assert stored == num_points * REPEATS, f"stored {stored} of {num_points * REPEATS} points"
        ingested, inserted = _median(ingest_times), _median(sqlite_times)
        Api.shutdown_embedded()
    finally:
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        shutil.rmtree(work, ignore_errors=True)

    import_rate = num_images / imported
    ingest_rate = num_points / ingested
    return [
        BenchResult(
            name=f"import_samples, {num_images} images of 128 px",
            value=imported,
            unit="s",
            baseline_name="shutil.copyfile of the same files",
            baseline_value=copied,
            ratio=imported / copied,
            goal=f">= {IMPORT_GOAL:.0f} images/s",
            met=import_rate >= IMPORT_GOAL,
            notes=f"import: {import_rate:,.0f} images/s ({total_bytes / imported / 1e6:.1f} MB/s) vs a bare copy at "
            f"{num_images / copied:,.0f} images/s; ratio = import time / copy time.",
            extra={"images": num_images, "bytes": total_bytes, "generation_s": generation, "backend_start_runs": start_times, "runs": import_times, "copy_runs": copy_times},
        ),
        BenchResult(
            name=f"log_metrics, {num_points:,} points in batches of {BATCH:,}",
            value=ingest_rate,
            unit="points/s",
            baseline_name="sqlite3 executemany, same rows and batches",
            baseline_value=num_points / inserted,
            ratio=ingest_rate / (num_points / inserted),
            goal=f">= {INGEST_GOAL:,.0f} points/s",
            met=ingest_rate >= INGEST_GOAL,
            notes="ingestion: ratio = client points/s / plain sqlite3 points/s (HTTP, JSON and validation on both sides included).",
            extra={"points": num_points, "runs": ingest_times, "baseline_runs": sqlite_times},
        ),
        BenchResult(
            name="embedded backend start (Api.from_env, no agent)",
            value=backend_start,
            unit="s",
            goal="< 3 s",
            met=backend_start < 3.0,
            notes="start: median of 3, from the call to a client whose backend answers, in a process that has synapse_nb imported.",
        ),
    ]
