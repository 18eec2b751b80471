"""What the wizard, the dashboard and the experiments browser share: the theme, messages,
key/value summaries and readable error text.

Widget modules import ipywidgets; this module does not (it only builds HTML strings and
reads the theme), so the pure parts are testable without a kernel.

Example:
    >>> message_html("error", "classes: expected at least one class")
    '<div class="snb-error">classes: expected at least one class</div>'
    >>> error_text(ValueError("Value error, bad <thing>"))
    'bad <thing>'
"""

from __future__ import annotations

import contextlib
import html
import logging
import threading
from collections.abc import Iterable, Iterator
from typing import Any, Literal

from pydantic import ValidationError

# Rules of our own on top of widgets/theme.css: fixed-width lists and editors, and sizes that
# read the same in JupyterLab and VS Code (whose default widget widths differ).
EXTRA_CSS = """
.snb-root .widget-label { min-width: 0; }
.snb-mono select, .snb-mono textarea, .snb-mono pre { font-family: var(--jp-code-font-family, Menlo, Consolas, monospace); font-size: 12px; }
.snb-root .snb-full { width: 100%; }
.snb-root pre.snb-log { max-height: 220px; overflow: auto; margin: 0; padding: 6px 8px;
  background: var(--snb-surface-alt); border-radius: var(--snb-radius); font-size: 11px; white-space: pre-wrap; }
.snb-root .snb-thumb img { border-radius: 4px; border: 1px solid var(--snb-border); }
.snb-root .snb-counts b { font-weight: 600; }
.snb-root .snb-ok { color: var(--snb-status-terminated); font-size: 12px; }
.snb-root .snb-warning { color: var(--snb-status-paused); font-size: 12px; }
.snb-pick-table .widget-gridbox { grid-gap: 0; }
.snb-pick-table .widget-gridbox > * { margin: 0; min-width: 0; border-bottom: 1px solid var(--snb-border);
  padding: 0 4px; display: flex; align-items: center; font-size: 12px; white-space: nowrap; overflow: hidden; }
.snb-pick-table .snb-pick-sort { font-weight: 600; background: var(--snb-surface-alt); justify-content: flex-start; }
.snb-pick-table .snb-pick-body button { justify-content: flex-start; background: transparent; }
.snb-pick-table .snb-row--picked, .snb-pick-table button.snb-row--picked {
  background: rgba(78, 121, 167, 0.16) !important; font-weight: 600; }
.snb-root table.snb-table { border-collapse: collapse; font-size: 12px; }
.snb-root table.snb-table th, .snb-root table.snb-table td { padding: 2px 8px; border-bottom: 1px solid var(--snb-border);
  text-align: left; vertical-align: top; }
.snb-root table.snb-table .snb-default { color: var(--snb-muted, #888); }
.snb-root table.snb-table tr.snb-changed td { background: rgba(255, 170, 0, 0.14); }
.snb-root table.snb-table tr.snb-changed td.snb-key { font-weight: 600; }
.snb-root .snb-split-form { border-left: 3px solid var(--snb-border); padding: 4px 0 4px 10px; margin: 4px 0 4px 8px; }
.snb-root .snb-thumb-cap { font-size: 11px; }
"""

Kind = Literal["error", "notice", "ok", "warning", "muted"]


def theme_css() -> str:
    """The full CSS of the notebook UI: the shared theme plus this package's own rules.

    Example:
        >>> ".snb-card" in theme_css() and ".snb-mono" in theme_css()
        True
    """
    from synapse_nb.widgets.figures.theme import css

    return css() + "\n" + EXTRA_CSS


def style_html() -> str:
    """A ``<style>`` element with :func:`theme_css`, for an ``ipywidgets.HTML`` at the top of a UI.

    Example:
        >>> style_html().startswith("<style>")
        True
    """
    return f"<style>{theme_css()}</style>"


def esc(value: Any) -> str:
    """HTML-escaped text of ``value``.

    Example:
        >>> esc("<b>")
        '&lt;b&gt;'
    """
    return html.escape(str(value), quote=True)


def message_html(kind: Kind, text: str) -> str:
    """A message next to the control it is about (escaped; empty text gives an empty string).

    Example:
        >>> message_html("ok", "")
        ''
    """
    if not text:
        return ""
    css_class = {"error": "snb-error", "notice": "snb-notice", "ok": "snb-ok", "warning": "snb-warning", "muted": "snb-muted"}[kind]
    return f'<div class="{css_class}">{esc(text)}</div>'


def kv_html(pairs: Iterable[tuple[str, Any]]) -> str:
    """A key/value grid (``snb-kv``); pairs whose value is None or empty are left out.

    Example:
        >>> kv_html([("model", "yolo11n-det"), ("device", None)])
        '<div class="snb-kv"><span class="snb-key">model</span><span>yolo11n-det</span></div>'
    """
    cells = [
        f'<span class="snb-key">{esc(key)}</span><span>{esc(value)}</span>'
        for key, value in pairs
        if value is not None and value != "" and value != []
    ]
    return f'<div class="snb-kv">{"".join(cells)}</div>' if cells else ""


def error_text(exc: BaseException) -> str:
    """One readable line for an error shown in the UI.

    A pydantic ``ValidationError`` becomes its first problem with the field path (the
    message of an :class:`~synapse_nb.errors.InputError` raised inside a validator is kept
    as it is); anything else is its message without pydantic's "Value error, " prefix.

    Example:
        >>> from synapse_nb.splits import DatasetsSplit
        >>> try:
        ...     DatasetsSplit(train_datasets=[1], val_datasets=[1])
        ... except ValueError as exc:
        ...     print(error_text(exc))
        datasets [1] are on both the train and the val side (train/val leakage); pass allow_overlap=True if that is intended
    """
    if isinstance(exc, ValidationError):
        first = exc.errors(include_url=False)[0]
        cause = (first.get("ctx") or {}).get("error")
        if isinstance(cause, Exception) and not isinstance(cause, ValidationError):
            return error_text(cause)
        message = str(first["msg"]).removeprefix("Value error, ")
        where = ".".join(str(part) for part in first["loc"])
        return f"{where}: {message}" if where else message
    return str(exc).removeprefix("Value error, ")


NBSP = "\u00a0"


def unwrapped(values: Any) -> Any:
    """Table text with its spaces made non-breaking (nested lists too; other values as they are).

    plotly.js wraps table text at spaces by measuring it on the page; a FigureWidget drawn
    before JupyterLab has attached it to the page measures nothing and shows every cell that
    has a space as blank. Text without breakable spaces is drawn as it is.

    Example:
        >>> unwrapped([["★ t_1", "b"], 0.5])
        [['★\\xa0t_1', 'b'], 0.5]
    """
    if isinstance(values, str):
        return values.replace(" ", NBSP)
    if isinstance(values, (list, tuple)):
        return [unwrapped(v) for v in values]
    return values


def unwrapped_tables(fig: Any) -> Any:
    """``fig`` with the header and cell text of every table trace unwrapped (see :func:`unwrapped`).

    Example:
        >>> import plotly.graph_objects as go
        >>> fig = unwrapped_tables(go.Figure(go.Table(header={"values": ["a b"]}, cells={"values": [["c d"]]})))
        >>> fig.data[0].header.values, fig.data[0].cells.values
        (('a\\xa0b',), (['c\\xa0d'],))
    """
    for trace in fig.data:
        if trace.type == "table":
            trace.header.values = unwrapped(list(trace.header.values or []))
            trace.cells.values = unwrapped([list(column) for column in (trace.cells.values or [])])
    return fig


def image_format(data: bytes) -> str:
    """The ``ipywidgets.Image`` format of image bytes: 'png', 'jpeg', 'gif' or 'webp'.

    Example:
        >>> image_format(b"\\x89PNG\\r\\n\\x1a\\n..."), image_format(b"\\xff\\xd8\\xff\\xe0")
        ('png', 'jpeg')
    """
    if data.startswith(b"\x89PNG"):
        return "png"
    if data.startswith(b"GIF8"):
        return "gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return "jpeg"


def plural(count: int, word: str) -> str:
    """``"1 item"``, ``"3 items"``.

    Example:
        >>> plural(1, "class"), plural(2, "class"), plural(0, "item")
        ('1 class', '2 classes', '0 items')
    """
    if count == 1:
        return f"{count} {word}"
    suffix = "es" if word.endswith(("s", "x", "ch", "sh")) else "s"
    return f"{count} {word}{suffix}"


class _ThreadRecords(logging.Handler):
    """Collects the messages of WARNING and above logged by one thread."""

    def __init__(self, thread: int, into: list[str]) -> None:
        super().__init__(level=logging.WARNING)
        self.thread = thread
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if record.thread == self.thread and message not in self.into:
            self.into.append(message)


@contextlib.contextmanager
def logged_warnings(logger_name: str = "synapse_nb") -> Iterator[list[str]]:
    """Collect the warnings this thread logs under ``logger_name`` inside the block, so the UI
    can show them next to the control they are about (they are still logged as usual).

    Example:
        >>> with logged_warnings() as found:
        ...     logging.getLogger("synapse_nb.demo").warning("optimizer is 'auto'")
        >>> found
        ["optimizer is 'auto'"]
    """
    messages: list[str] = []
    handler = _ThreadRecords(threading.get_ident(), messages)
    logger = logging.getLogger(logger_name)
    logger.addHandler(handler)
    try:
        yield messages
    finally:
        logger.removeHandler(handler)
