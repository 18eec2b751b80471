"""Cost as projects grow: pre-flight, the wizard's data and a YOLO export at 1,000 / 10,000 /
100,000 items.

Run with ``python -m bench scale`` (``--quick`` stops at 10,000 items).
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any

from bench._common import BenchResult, timed

TITLE = "Cost as projects grow: pre-flight, wizard data and export at 1k / 10k / 100k items"
DESCRIPTION = """
One backend (`BackgroundServer`: uvicorn, SQLite in WAL mode, a temporary home) and a client
over loopback HTTP. A 1,000-image sample project (32 px, 3 classes, 2 datasets, 2
collections, tags) is generated once; the 10,000 and 100,000 item projects are that batch
imported 10 and 100 times into one project (one dataset per copy and side, collections
growing with every copy) through `api.project.import_raw`, so the images are stored once
and every item, annotation and tag is real.

Pre-flight: `check_state` for a tags split (`TagsSplit(untagged_action="train")`) on an
online agent record: agent, project, classes, hyperparameters, and the split, whose sizes
the backend now counts in SQL (`POST /projects/{id}/split`). Baseline: the way pre-flight
checked the split before, listing every item (`api.item.all`) and splitting them
(`split.split(items)`), timed on the same project in the same run.

Wizard: what picking a project and reaching the classes and split steps loads,
`WizardContext.load_project` (the backend's counts per class, tag, dataset, collection,
the first 16 items, datasets, collections) + `class_stats()` + the split step's live counts.
Baseline: listing every item and counting classes from them (`class_stats(project, items)`),
as the wizard did before.

Export: `api.project.export(project, "yolo", ...)`, whose work is linear in the items
(every image and label file is written); reported per 1,000 items so linear growth reads
as a flat number. The 100,000-item export is measured only when
`BENCH_SCALE_EXPORT_MAX` allows it (default 10,000: it writes 200,000 files).

All times are the median of 3 runs (1 for export) on a machine shared with other work, so
absolute numbers vary; the ratios and the growth between sizes are what the goals judge.
"""

BASE_IMAGES = 1000
SIZES = (1_000, 10_000, 100_000)
GOAL_SECONDS = 1.0


def _replicated(raw: Any, copies: int, root: Path) -> Any:
    """``raw`` repeated ``copies`` times: new datasets per copy, the same images and labels."""
    from synapse_nb.formats.raw import RawDataset, RawDatasetRef

    datasets = []
    items = []
    next_id = 1
    for copy in range(copies):
        remap = {}
        for ref in raw.meta.datasets:
            new_id = len(datasets) + 1
            remap[ref.id] = new_id
            datasets.append(RawDatasetRef(id=new_id, name=f"{ref.name}-{copy:03d}"))
        for item in raw.items:
            image = str(raw.image_path(item))
            items.append(item.model_copy(update={"id": next_id, "dataset_id": remap[item.dataset_id], "image": image,
                                                 "source_id": None}))
            next_id += 1
    meta = raw.meta.model_copy(update={"datasets": datasets, "project_name": f"scale-{len(items)}"})
    return RawDataset(meta=meta, items=items).attach(root)


def _project(api: Any, raw: Any, size: int, work: Path) -> int:
    from synapse_nb.api._import import import_raw

    copies = size // BASE_IMAGES
    big = raw if copies == 1 else _replicated(raw, copies, raw.root)
    return import_raw(api, big, name=f"scale-{size}", progress=False).id


def run(quick: bool) -> list[BenchResult]:
    from synapse_nb.api import Api
    from synapse_nb.api.preflight import check_state
    from synapse_nb.samples import generate_sample_project
    from synapse_nb.server import BackgroundServer, ServerConfig
    from synapse_nb.splits import RandomSplit, TagsSplit
    from synapse_nb.state import TrainState
    from synapse_nb.widgets.wizard._context import WizardContext
    from synapse_nb.widgets.wizard._data import class_stats

    sizes = SIZES[:2] if quick else SIZES
    export_max = int(os.environ.get("BENCH_SCALE_EXPORT_MAX", "10000"))
    results: list[BenchResult] = []
    work = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    raw = generate_sample_project(work / "base", num_images=BASE_IMAGES, image_size=32, seed=0)
    split = TagsSplit(untagged_action="train")
    first: dict[str, float] = {}
    with BackgroundServer(ServerConfig(home=work / "home", port=0, heartbeat_timeout=3600.0)) as server, Api(server.url, server.token) as api:
        agent = api.agent.register("scale", {"CPU": 2, "GPU": 0, "tensorrt": False}).id
        for size in sizes:
            start = time.perf_counter()
            project_id = _project(api, raw, size, work)
            import_s = time.perf_counter() - start
            state = TrainState(agent_id=agent, project_id=project_id, model="YOLO/yolo11n-det", train_val_split=split,
                               hyperparameters="epochs: 1\nimgsz: 64\n")
            api.agent.heartbeat(agent)  # the import may outlast a heartbeat timeout
            pre_s, _ = timed(lambda: check_state(api, state), repeat=3)
            old_pre_s, _ = timed(lambda: split.split(api.item.all(project_id)), repeat=3)

            def wizard() -> Any:
                ctx = WizardContext(api)  # a fresh wizard each time: nothing cached
                ctx.project = ctx.load_project(project_id)
                return ctx.class_stats(), ctx.split_counts(RandomSplit())

            wiz_s, _ = timed(wizard, repeat=3)
            project = api.project.get(project_id)
            old_wiz_s, _ = timed(lambda: class_stats(project, api.item.all(project_id)), repeat=3)
            first.setdefault("pre", pre_s)
            first.setdefault("wiz", wiz_s)
            label = f"{size:,} items"
            results += [
                BenchResult(name=f"pre-flight, {label}", value=pre_s, unit="s", baseline_name="listing every item",
                            baseline_value=old_pre_s, ratio=pre_s / old_pre_s, goal="<= 1 s",
                            met=pre_s <= GOAL_SECONDS,
                            extra={"growth_vs_1k": pre_s / first["pre"], "import_s": import_s}),
                BenchResult(name=f"wizard to the split step, {label}", value=wiz_s, unit="s",
                            baseline_name="listing every item", baseline_value=old_wiz_s, ratio=wiz_s / old_wiz_s,
                            goal="<= 1 s", met=wiz_s <= GOAL_SECONDS,
                            extra={"growth_vs_1k": wiz_s / first["wiz"]}),
            ]
            if size <= export_max:
                dest = work / f"export-{size}"
                export_s, _ = timed(lambda: api.project.export(project_id, "yolo", dest, split=RandomSplit(), progress=False))
                per_k = export_s / (size / 1000)
                first.setdefault("export", per_k)
                results.append(BenchResult(
                    name=f"YOLO export per 1,000 items, {label}", value=per_k, unit="s",
                    baseline_name="per 1,000 at 1,000 items", baseline_value=first["export"],
                    ratio=per_k / first["export"], goal="linear (ratio near 1)", extra={"total_s": export_s}))
    growth = [r for r in results if r.name.startswith("pre-flight")]
    wizard_growth = [r for r in results if r.name.startswith("wizard")]
    results[-1].notes = (
        f"From {sizes[0]:,} to {sizes[-1]:,} items pre-flight grew {growth[-1].extra['growth_vs_1k']:.2f}x and the "
        f"wizard's data {wizard_growth[-1].extra['growth_vs_1k']:.2f}x ({sizes[-1] // sizes[0]}x the items); listing every item, the "
        f"baseline, grew {growth[-1].baseline_value / growth[0].baseline_value:.0f}x. Import times (not a goal): "
        + ", ".join(f"{r.name.split(', ')[1]} {r.extra['import_s']:.0f} s" for r in growth) + "."
    )
    return results
