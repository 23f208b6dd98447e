"""Survival figures drawn on the server with matplotlib, as SVG or PNG bytes.

Figures are built with matplotlib's object API (``Figure``, no ``pyplot``), so requests drawn at the same time in
one process share no global figure state. The number-at-risk table under the plot is drawn from the same
:class:`reports.statistics.AtRisk` rows the page shows beside the figure.
"""

from __future__ import annotations

import io

import matplotlib
from matplotlib.figure import Figure

from .selectors import SWIMMER_SORTS, SurvivalReport
from .statistics import SurvivalCurve

# SVG text stays text (searchable, smaller, read by screen readers), set once for the process.
matplotlib.rcParams["svg.fonttype"] = "none"

FORMATS = {"svg": "image/svg+xml", "png": "image/png"}
COLOURS = ["#212529", "#0d6efd", "#d63384", "#198754", "#fd7e14"]
BY_VERSION = "version"
OVERALL = "all"


def _step(ax, curve: SurvivalCurve, colour: str):
    times = [p.time for p in curve.points]
    ax.step(times, [p.survival for p in curve.points], where="post", color=colour, label=f"{curve.label} (n={curve.n})")
    ax.fill_between(
        times, [p.lower for p in curve.points], [p.upper for p in curve.points], step="post", color=colour, alpha=0.15
    )
    censored = [p for p in curve.points if p.censored]
    ax.plot([p.time for p in censored], [p.survival for p in censored], "|", color=colour, markersize=8)


def survival_figure(report: SurvivalReport, *, by: str = OVERALL) -> Figure:
    """Kaplan–Meier curves with their 95% bands and censoring marks (|), the number at risk / censored / events
    under the plot, and the cut-off and computation time in the footer."""
    curves = report.by_version if by == BY_VERSION else [report.overall]
    colours = COLOURS[1:] if by == BY_VERSION else COLOURS
    rows = len(curves) * 3
    figure = Figure(figsize=(8, 4.6 + 0.2 * rows), layout="constrained")
    grid = figure.add_gridspec(2, 1, height_ratios=[4.6, 0.35 + 0.2 * rows])
    ax = figure.add_subplot(grid[0])
    for curve, colour in zip(curves, colours, strict=False):
        if curve.points:
            _step(ax, curve, colour)
    ax.set_ylim(0, 1.02)
    longest = max((p.time for c in curves for p in c.points), default=1.0)
    ax.set_xlim(left=0, right=max(longest * 1.02, 1))
    ax.set_xticks(report.at_risk_times or [0])
    ax.set_xlabel("Months")
    ax.set_ylabel(f"{report.endpoint.label} (probability)")
    title = report.endpoint.label + (" by protocol version" if by == BY_VERSION else "")
    if by == BY_VERSION and report.log_rank.p is not None:
        title += f" — log-rank p = {report.log_rank.p:.3g}"
    ax.set_title(title, fontsize=11)
    if any(c.points for c in curves):
        ax.legend(loc="lower left", fontsize=9, frameon=True)
    ax.grid(alpha=0.3)

    table = figure.add_subplot(grid[1], sharex=ax)
    table.set_ylim(-0.5, rows - 0.5)
    table.axis("off")
    line = rows - 1
    for curve, colour in zip(curves, colours, strict=False):
        for name, attr in (("At risk", "at_risk"), ("Censored", "censored"), ("Events", "events")):
            table.text(-0.01, line, f"{curve.label} · {name}", transform=table.get_yaxis_transform(), ha="right",
                       va="center", fontsize=8, color=colour)  # fmt: skip
            for count in curve.at_risk:
                table.text(count.time, line, str(getattr(count, attr)), ha="center", va="center", fontsize=8)
            line -= 1
    _stamp(figure, report.cohort)
    return figure


def render(figure: Figure, fmt: str) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format=fmt, dpi=110 if fmt == "png" else None, metadata=_metadata(fmt))
    return buffer.getvalue()


def _metadata(fmt: str) -> dict:
    # No creation date in the file, so the same data draws the same bytes.
    return {"Date": None} if fmt == "svg" else {}


SWIMMER_MARKS = [
    # (attribute, label, marker, colour)
    ("response", "Response (CR/CRp/CRi)", "o", "#198754"),
    ("mrd_negative", "MRD negative", "D", "#0dcaf0"),
    ("transplant", "Allogeneic SCT", "s", "#6f42c1"),
    ("relapse", "Relapse", "^", "#fd7e14"),
]


def swimmer_figure(swimmer) -> Figure:
    """One bar per patient from the start of therapy to death (×) or the last date known alive (arrow), with
    marks for the first response, MRD negativity, SCT and relapse; bars coloured by protocol version."""
    lanes = swimmer.lanes
    figure = Figure(figsize=(9, max(2.5, 1.4 + 0.14 * len(lanes))), layout="constrained")
    ax = figure.add_subplot()
    versions = list(dict.fromkeys(lane.version for lane in lanes))
    colour_of = {v: COLOURS[1 + i % (len(COLOURS) - 1)] for i, v in enumerate(versions)}
    longest = max((lane.months for lane in lanes), default=1.0)
    for y, lane in enumerate(reversed(lanes)):
        ax.barh(y, lane.months, height=0.6, color=colour_of[lane.version], alpha=0.35)
        for attr, _, marker, colour in SWIMMER_MARKS:
            at = getattr(lane, attr)
            if at is not None:
                ax.plot(at, y, marker, color=colour, markersize=4)
        if lane.died:
            ax.plot(lane.months, y, "x", color="#dc3545", markersize=5)
        else:
            ax.annotate("", xy=(lane.months + longest * 0.03, y), xytext=(lane.months, y),
                        arrowprops={"arrowstyle": "->", "color": "#212529", "lw": 0.8})  # fmt: skip
    ax.set_yticks(range(len(lanes)), [lane.subject_id for lane in reversed(lanes)], fontsize=5)
    ax.set_ylim(-1, max(len(lanes), 1))
    ax.set_xlim(0, longest * 1.06 if lanes else 1)
    ax.set_xlabel("Months from the start of therapy")
    ax.set_title(f"Swimmer plot ({len(lanes)} patients, sorted by {SWIMMER_SORTS[swimmer.sort]})", fontsize=11)
    handles = [ax.plot([], [], "s", color=colour_of[v], alpha=0.35, label=v)[0] for v in versions]
    handles += [ax.plot([], [], m, color=c, label=label)[0] for _, label, m, c in SWIMMER_MARKS]
    handles += [ax.plot([], [], "x", color="#dc3545", label="Death")[0]]
    handles += [ax.plot([], [], marker=r"$\rightarrow$", color="#212529", ls="", label="Alive at last contact")[0]]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=7, frameon=False)
    ax.grid(axis="x", alpha=0.3)
    _stamp(figure, swimmer.cohort)
    return figure


def _stamp(figure: Figure, cohort) -> None:
    cutoff = cohort.filters.cutoff.isoformat() if cohort.filters.cutoff else "none (all data recorded)"
    figure.supxlabel(
        f"Data cut-off: {cutoff} · computed {cohort.computed_at:%Y-%m-%d %H:%M} UTC", x=0.01, ha="left", fontsize=7,
        color="#6c757d",
    )  # fmt: skip
