"""The terminal progress of ``task.wait()``: redrawn only when what it shows changes.

``task.wait()`` polls twice a second; a bar that printed on every poll filled CI logs and
``make demo | tee`` output with thousands of identical lines.
"""

from __future__ import annotations

import io

from hypothesis import given
from hypothesis import strategies as st

from synapse_nb.api._task_progress import TaskProgressDisplay, describe, shown_state
from synapse_nb.schemas.task import TaskRecord

STAMP = "2026-01-01T00:00:00Z"


def _record(status: str = "running", overall: float = 0.0, **progress: float) -> TaskRecord:
    return TaskRecord(id=3, status=status, overall_progress=overall, created_at=STAMP,
                      progress={name: {"current": value * 100, "total": 100} for name, value in progress.items()})


class _Terminal(io.StringIO):
    """Output that says it is a terminal (tqdm then draws its bar in place)."""

    def isatty(self) -> bool:
        return True


def test_piped_output_gets_one_line_per_visible_change() -> None:
    out = io.StringIO()
    display = TaskProgressDisplay(3, file=out, notebook=False)
    polls = ([_record("queued")] * 5 + [_record("running", 0.001, dataset=0.01)] * 5
             + [_record("running", 0.2, dataset=1.0, train=0.0)] * 3
             + [_record("running", 0.2 + 0.75 * i / 1000, dataset=1.0, train=i / 1000) for i in range(1, 1000)]
             + [_record("finished", 1.0, dataset=1.0, train=1.0)] * 3)
    for record in polls:
        display.update(record)
    display.close()

    lines = out.getvalue().splitlines()
    assert lines[:3] == ["task 3:   0% queued", "task 3:   0% running · dataset", "task 3:  20% running"]
    assert lines[-1] == "task 3: 100% finished"
    # 1000 polls during training move the whole percent from 20 to 94: one line each.
    assert len(lines) == 3 + (94 - 20) + 1 + 1
    assert "\r" not in out.getvalue()


def test_terminal_bar_redraws_only_on_change() -> None:
    out = _Terminal()
    display = TaskProgressDisplay(3, file=out, notebook=False)
    display.update(_record("running", 0.5, train=0.4))
    drawn = out.getvalue()
    for _ in range(50):
        display.update(_record("running", 0.504, train=0.41))
    assert out.getvalue() == drawn, "the same status, category and percent: nothing redrawn"
    display.update(_record("running", 0.51, train=0.42))
    assert out.getvalue() != drawn and "51%" in out.getvalue()
    display.close()


def test_shown_state_floors_the_percent_and_names_the_running_category() -> None:
    assert shown_state(_record("running", 0.999, train=0.99)) == ("running", "train", 99)
    assert shown_state(_record("running", 1.0, dataset=1.0, train=1.0)).category is None
    assert describe(12, shown_state(_record("queued"))) == "task 12:   0% queued"


@given(st.lists(st.tuples(st.sampled_from(["queued", "running", "finished"]),
                          st.floats(min_value=0.0, max_value=1.0, allow_nan=False),
                          st.floats(min_value=0.0, max_value=1.0, allow_nan=False)), max_size=60))
def test_lines_printed_equal_the_changes_of_what_is_shown(polls: list[tuple[str, float, float]]) -> None:
    out = io.StringIO()
    display = TaskProgressDisplay(3, file=out, notebook=False)
    records = [_record(status, overall, train=train) for status, overall, train in polls]
    for record in records:
        display.update(record)
    states = [shown_state(r) for r in records]
    changes = sum(1 for i, state in enumerate(states) if i == 0 or state != states[i - 1])
    assert out.getvalue().splitlines() == [describe(3, s) for i, s in enumerate(states) if i == 0 or s != states[i - 1]]
    assert len(out.getvalue().splitlines()) == changes


def test_notebook_bars_are_tqdm_widgets_one_per_category_coloured_at_the_end() -> None:
    display = TaskProgressDisplay(3, notebook=True)
    display.update(_record("running", 0.2, dataset=1.0, train=0.0))
    display.update(_record("running", 0.5, dataset=1.0, train=0.4))
    bars = display._widgets
    assert list(bars) == ["overall", "dataset", "train"]
    assert [round(bar.n) for bar in bars.values()] == [50, 100, 40]
    assert "running" in bars["overall"].postfix
    display.update(_record("failed", 0.5, dataset=1.0, train=0.4))
    assert bars["train"].container.children[1].bar_style == "danger", "a task that ended short shows red"
    assert bars["dataset"].container.children[1].bar_style == "success"
