"""The analytics window: drop exports in, watch the progress bar, browse report pages.

Parsing and the reports run on a worker thread (the UI thread only draws); progress and
the result come back through queued Qt signals. Every page is a card that "Save as image" writes
to a PNG for sharing. The window says, in plain words, that nothing leaves the machine.

Runs inside the desktop app (``AnalyticsWindow``) or alone:
``parley analytics --window [FILE...]`` or ``python -m parley.client.analytics.window``.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6 import QtCharts  # Qt Charts is not re-exported by parley.client.qt

from parley.client.analytics.importers import read_exports
from parley.client.analytics.model import ImportProblem
from parley.client.analytics.reports.document import LOCAL_ONLY, build_document
from parley.client.analytics.whatsapp import DateOrder
from parley.client.qt import Qt, QtCore, QtGui, QtWidgets, Signal

_log = logging.getLogger(__name__)

_CARD_STYLE = (
    "QFrame#card{background:#ffffff;border:1px solid #d6deea;border-radius:12px}"
    "QLabel#big{font-size:22px;font-weight:600;color:#1d2330}"
    "QLabel#muted{color:#5b6578}"
    "QFrame#tile{background:#f3f6fc;border-radius:10px}"
    "QLabel#tilevalue{font-size:26px;font-weight:700;color:#3f6fd8}"
)


class _Loader(QtCore.QObject):
    """Carries progress and results from the worker thread to the UI thread (queued)."""

    progress = Signal(float)
    finished = Signal(object)
    failed = Signal(str)


def _hour_chart(title: str, values: Sequence[int]) -> QtCharts.QChartView:
    bars = QtCharts.QBarSet(title)
    bars.append([float(v) for v in values])
    series = QtCharts.QBarSeries()
    series.append(bars)
    chart = QtCharts.QChart()
    chart.addSeries(series)
    chart.setTitle(title)
    chart.legend().hide()
    axis_x = QtCharts.QBarCategoryAxis()
    # Category names must be unique: the unlabelled hours are distinct runs of spaces.
    axis_x.append([str(h) if h % 3 == 0 else " " * (h + 1) for h in range(24)])
    chart.addAxis(axis_x, Qt.AlignmentFlag.AlignBottom)
    series.attachAxis(axis_x)
    axis_y = QtCharts.QValueAxis()
    axis_y.setRange(0, max(max(values, default=0), 1))
    axis_y.applyNiceNumbers()
    axis_y.setLabelFormat("%d")
    chart.addAxis(axis_y, Qt.AlignmentFlag.AlignLeft)
    series.attachAxis(axis_y)
    view = QtCharts.QChartView(chart)
    view.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
    view.setMinimumHeight(220)
    return view


def _unique(labels: Sequence[str]) -> list[str]:
    """Category axes need distinct names: number repeated ones ("test", "test (2)")."""
    seen: dict[str, int] = {}
    result = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        result.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    return result


def _bar_chart(
    title: str, labels: Sequence[str], values: Sequence[float], label_format: str = "%d"
) -> QtCharts.QChartView:
    """Horizontal bars, first item on top."""
    bars = QtCharts.QBarSet(title)
    bars.append([float(v) for v in reversed(values)])
    series = QtCharts.QHorizontalBarSeries()
    series.append(bars)
    chart = QtCharts.QChart()
    chart.addSeries(series)
    chart.setTitle(title)
    chart.legend().hide()
    axis_y = QtCharts.QBarCategoryAxis()
    axis_y.append(list(reversed(_unique(labels))) or ["-"])
    chart.addAxis(axis_y, Qt.AlignmentFlag.AlignLeft)
    series.attachAxis(axis_y)
    axis_x = QtCharts.QValueAxis()
    axis_x.setRange(0, max(max(values, default=0.0), 1.0))
    axis_x.applyNiceNumbers()
    axis_x.setLabelFormat(label_format)
    chart.addAxis(axis_x, Qt.AlignmentFlag.AlignBottom)
    series.attachAxis(axis_x)
    view = QtCharts.QChartView(chart)
    view.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
    view.setMinimumHeight(220)
    return view


def _mood_chart(months: Sequence[dict[str, Any]]) -> QtCharts.QChartView:
    series = QtCharts.QLineSeries()
    for index, row in enumerate(months):
        series.append(float(index), float(row["mood"]))
    chart = QtCharts.QChart()
    chart.addSeries(series)
    chart.setTitle("Mood from your emojis, month by month (-2 to +2)")
    chart.legend().hide()
    axis_x = QtCharts.QBarCategoryAxis()
    axis_x.append([row["month"] for row in months] or ["no emojis yet"])
    axis_y = QtCharts.QValueAxis()
    axis_y.setRange(-2, 2)
    chart.addAxis(axis_x, Qt.AlignmentFlag.AlignBottom)
    chart.addAxis(axis_y, Qt.AlignmentFlag.AlignLeft)
    series.attachAxis(axis_x)
    series.attachAxis(axis_y)
    view = QtCharts.QChartView(chart)
    view.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
    view.setMinimumHeight(220)
    return view


def _window_text(window: dict[str, Any] | None) -> str:
    if window is None:
        return "not enough data"
    return f"{window['start_hour']:02d}:00–{window['end_hour']:02d}:00"


class AnalyticsWindow(QtWidgets.QMainWindow):
    """Import exports (drag and drop or "Open…") and show the report pages."""

    report_ready = Signal(object)  # the analytics document (dict)
    failed = Signal(str)

    def __init__(
        self,
        *,
        date_order: DateOrder | None = None,
        me: str | None = None,
        parent: QtWidgets.QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Parley — your chats, wrapped")
        self.setAcceptDrops(True)
        self.resize(900, 720)
        self._date_order = date_order
        self._me = me
        self._loader = _Loader(self)
        self._loader.progress.connect(self._on_progress)
        self._loader.finished.connect(self._on_finished)
        self._loader.failed.connect(self._on_failed)
        self._generation = 0  # results of a superseded load are dropped
        self.document: dict[str, Any] | None = None

        central = QtWidgets.QWidget()
        layout = QtWidgets.QVBoxLayout(central)
        self.local_notice = QtWidgets.QLabel(
            f"{LOCAL_ONLY} Your exports are read from disk and never uploaded."
        )
        self.local_notice.setStyleSheet("color:#2e7d32;font-weight:600")
        layout.addWidget(self.local_notice)
        row = QtWidgets.QHBoxLayout()
        self.drop_hint = QtWidgets.QLabel(
            "Drop WhatsApp .txt/.zip, Telegram result.json or a Parley data export here."
        )
        row.addWidget(self.drop_hint, 1)
        self.open_button = QtWidgets.QPushButton("Open…")
        self.open_button.clicked.connect(self._choose_files)
        row.addWidget(self.open_button)
        self.save_button = QtWidgets.QPushButton("Save as image…")
        self.save_button.setEnabled(False)
        self.save_button.clicked.connect(self._choose_image_path)
        row.addWidget(self.save_button)
        layout.addLayout(row)
        self.progress = QtWidgets.QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setVisible(False)
        layout.addWidget(self.progress)
        self.error = QtWidgets.QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color:#b00020")
        self.error.setVisible(False)
        layout.addWidget(self.error)
        self.pages = QtWidgets.QTabWidget()
        layout.addWidget(self.pages, 1)
        self.setCentralWidget(central)
        self.setStyleSheet(_CARD_STYLE)

    # --- importing -------------------------------------------------------------------

    def dragEnterEvent(self, event: QtGui.QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QtGui.QDropEvent) -> None:
        paths = [Path(url.toLocalFile()) for url in event.mimeData().urls() if url.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.load(paths)

    def _choose_files(self) -> None:
        names, _ = QtWidgets.QFileDialog.getOpenFileNames(
            self, "Open chat exports", "", "Chat exports (*.txt *.zip *.json);;All files (*)"
        )
        if names:
            self.load([Path(name) for name in names])

    def load(self, paths: Sequence[Path]) -> None:
        """Parse and analyse ``paths`` on a worker thread; emits report_ready or failed."""
        self.error.setVisible(False)
        self.progress.setValue(0)
        self.progress.setVisible(True)
        self.open_button.setEnabled(False)
        self._generation += 1
        generation = self._generation
        loader = self._loader
        date_order, me = self._date_order, self._me

        def report_progress(fraction: float) -> None:
            loader.progress.emit(fraction)

        def work() -> None:
            try:
                chats = read_exports(
                    list(paths), date_order=date_order, me=me, progress=report_progress
                )
                loader.finished.emit((generation, build_document(chats)))
            except ImportProblem as problem:
                loader.failed.emit(str(problem))
            except Exception as error:  # a bug: logged with its traceback, told to the user
                _log.exception("analytics import failed")
                loader.failed.emit(
                    f"Unexpected error while reading ({type(error).__name__}: {error}); "
                    "the details are in the log."
                )

        threading.Thread(target=work, name="analytics-import", daemon=True).start()

    def _on_progress(self, fraction: float) -> None:
        self.progress.setValue(int(fraction * 1000))

    def _on_failed(self, message: str) -> None:
        self.progress.setVisible(False)
        self.open_button.setEnabled(True)
        self.error.setText(message)
        self.error.setVisible(True)
        self.failed.emit(message)

    def _on_finished(self, result: tuple[int, dict[str, Any]]) -> None:
        generation, document = result
        if generation != self._generation:
            return
        self.progress.setValue(1000)
        self.progress.setVisible(False)
        self.open_button.setEnabled(True)
        self.document = document
        self._show(document)
        self.save_button.setEnabled(True)
        self.report_ready.emit(document)

    # --- pages -----------------------------------------------------------------------

    def _card(self, title: str) -> tuple[QtWidgets.QFrame, QtWidgets.QVBoxLayout]:
        card = QtWidgets.QFrame()
        card.setObjectName("card")
        layout = QtWidgets.QVBoxLayout(card)
        heading = QtWidgets.QLabel(title)
        heading.setObjectName("big")
        layout.addWidget(heading)
        return card, layout

    def _tile(self, value: str, caption: str) -> QtWidgets.QFrame:
        tile = QtWidgets.QFrame()
        tile.setObjectName("tile")
        column = QtWidgets.QVBoxLayout(tile)
        number = QtWidgets.QLabel(value)
        number.setObjectName("tilevalue")
        label = QtWidgets.QLabel(caption)
        label.setObjectName("muted")
        label.setWordWrap(True)
        column.addWidget(number)
        column.addWidget(label)
        return tile

    def _add_page(self, name: str, card: QtWidgets.QFrame, layout: QtWidgets.QVBoxLayout) -> None:
        footer = QtWidgets.QLabel(f"Parley analytics · {LOCAL_ONLY}")
        footer.setObjectName("muted")
        layout.addWidget(footer)
        self.pages.addTab(card, name)

    def _show(self, document: dict[str, Any]) -> None:
        self.pages.clear()
        you = document["you"]
        replies = you["replies"]

        card, layout = self._card("Your chats, wrapped")
        streak = (you["streak"] or {}).get("days", 0)
        top = " ".join(row["emoji"] for row in you["mood"]["top_emojis"][:3]) or "—"
        fastest = replies["fastest_replied"][0] if replies["fastest_replied"] else "—"
        tiles = QtWidgets.QHBoxLayout()
        for value, caption in (
            (f"{you['messages']:,}", f"messages in {len(document['chats'])} chat(s)"),
            (f"{streak}", "days in a row, at best"),
            (fastest, "gets your fastest replies"),
            (top, f"your top emojis · mood {you['mood']['trend']}"),
        ):
            tiles.addWidget(self._tile(value, caption))
        layout.addLayout(tiles)
        summary = QtWidgets.QLabel(
            f"Written as {', '.join(you['names']) or '—'} · "
            f"probably asleep {_window_text(you['sleep'])} · "
            f"probably at work {_window_text(you['work'])}"
        )
        summary.setObjectName("muted")
        summary.setWordWrap(True)
        layout.addWidget(summary)
        layout.addWidget(_hour_chart("Hours you write at", you["hours"]))
        self._add_page("You", card, layout)

        card, layout = self._card("How you reply")
        fastest = ", ".join(replies["fastest_replied"]) or "not enough replies yet"
        layout.addWidget(
            QtWidgets.QLabel(
                f"{replies['replies']} replies (within {replies['reply_window_hours']:g} h) · "
                f"you answer fastest: {fastest}"
            )
        )
        layout.addWidget(_hour_chart("Hours you reply at", replies["reply_hours"]))
        contacts = replies["delay_per_contact"][:10]
        layout.addWidget(
            _bar_chart(
                "Median reply delay per contact (minutes)",
                [row["name"] for row in contacts],
                [row["median_delay_seconds"] / 60 for row in contacts],
                "%.0f",
            )
        )
        self._add_page("Replies", card, layout)

        card, layout = self._card("Mood and topics")
        layout.addWidget(_mood_chart(you["mood"]["months"]))
        words = ", ".join(row["word"] for row in you["topics"]) or "—"
        topics = QtWidgets.QLabel(f"Favourite topics: {words}")
        topics.setWordWrap(True)
        layout.addWidget(topics)
        self._add_page("Mood", card, layout)

        card, layout = self._card("People")
        people = you["people"]["people"]
        table = QtWidgets.QTableWidget(len(people), 4)
        table.setHorizontalHeaderLabels(["Name", "First month", "Last month", "Messages"])
        for r, row in enumerate(people):
            for c, key in enumerate(("name", "first_month", "last_month", "messages")):
                table.setItem(r, c, QtWidgets.QTableWidgetItem(str(row[key])))
        table.horizontalHeader().setStretchLastSection(True)
        layout.addWidget(table)
        gone = ", ".join(you["people"]["disappeared"]) or "nobody"
        shared = ", ".join(f"{r['name']} ({r['groups']})" for r in you["shared_groups"]) or "—"
        info = QtWidgets.QLabel(f"Went quiet: {gone}<br>Most shared groups: {shared}")
        info.setWordWrap(True)
        layout.addWidget(info)
        self._add_page("People", card, layout)

        card, layout = self._card("Chats")
        chats = document["chats"]
        layout.addWidget(
            _bar_chart(
                "Messages per chat",
                [chat["name"][:30] or "(unnamed)" for chat in chats[:12]],
                [chat["messages"] for chat in chats[:12]],
            )
        )
        notes = [f"{chat['name']}: {note}" for chat in chats for note in chat["notes"]]
        if notes:
            note_label = QtWidgets.QLabel("\n".join(notes[:8]))
            note_label.setWordWrap(True)
            note_label.setObjectName("muted")
            layout.addWidget(note_label)
        self._add_page("Chats", card, layout)

    # --- sharing ---------------------------------------------------------------------

    def _choose_image_path(self) -> None:
        name, _ = QtWidgets.QFileDialog.getSaveFileName(
            self, "Save card as image", "parley-wrapped.png", "PNG image (*.png)"
        )
        if name:
            self.save_image(Path(name))

    def save_image(self, path: Path) -> bool:
        """Write the current page (a card) to ``path`` as PNG; False if nothing to save."""
        if self.pages.count() == 0:
            return False
        return bool(self.pages.currentWidget().grab().save(str(path), "PNG"))


def run_window(
    paths: Sequence[Path | str] = (), *, date_order: DateOrder | None = None, me: str | None = None
) -> int:
    """Open the window standalone (its own QApplication) and block until it closes."""
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
    window = AnalyticsWindow(date_order=date_order, me=me)
    window.show()
    if paths:
        window.load([Path(p) for p in paths])
    return int(app.exec())


if __name__ == "__main__":
    sys.exit(run_window(sys.argv[1:]))
