"""Report figures drawn with matplotlib and embedded as SVG data URIs (no files, no network).

Figures are built on :class:`matplotlib.figure.Figure` directly (no pyplot state), with text
kept as SVG text in DejaVu Sans (so files stay small and the PDF's text is searchable), and
with a fixed SVG id salt and no date stamp so the same data give the same bytes. Every chart
here draws numbers it is given; none computes a metric.
"""

from __future__ import annotations

import base64
import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeGuard

import matplotlib
import matplotlib.dates as mdates
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import FuncFormatter

from workweave.report.days import DayLayout
from workweave.report.palette import Style, series_style

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

RC: dict[RcKeyType, Any] = {
    "font.family": "DejaVu Sans",
    "font.size": 9.5,
    "axes.titlesize": 10.5,
    "axes.labelsize": 9.5,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 8.5,
    "svg.fonttype": "none",  # text stays text: small files, selectable in the PDF
    "svg.hashsalt": "workweave-report",
    "hatch.linewidth": 0.8,
    "hatch.color": "#1a1a1a",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#444444",
    "axes.grid": False,
}

WIDTH_IN = 7.2  # fits an A4 page's text width at 100 %
MAX_HEIGHT_IN = 7.6  # leaves room on an A4 page for a heading and the caption


@dataclass(frozen=True)
class Image:
    """An SVG figure ready for an <img>: its data URI and its natural size in CSS pixels."""

    src: str
    width_px: int
    height_px: int


def to_image(fig: Figure) -> Image:
    buf = io.BytesIO()
    with matplotlib.rc_context(RC):
        fig.savefig(buf, format="svg", metadata={"Date": None})
    # drop the RDF metadata block and the DTD reference: nothing in the image names the web
    data = re.sub(rb"<metadata>.*?</metadata>\s*", b"", buf.getvalue(), flags=re.S)
    data = re.sub(rb"<!DOCTYPE[^>]*>\s*", b"", data)
    data = inline_hatches(data.decode("utf-8")).encode("utf-8")
    w, h = fig.get_size_inches()
    uri = "data:image/svg+xml;base64," + base64.b64encode(data).decode("ascii")
    return Image(uri, round(w * 96), round(h * 96))


_PATTERN = re.compile(
    r'<pattern id="(h[0-9a-f]+)" patternUnits="userSpaceOnUse" x="0" y="0" '
    r'width="(\d+)" height="(\d+)">\s*<rect [^>]*fill="([^"]+)"/>\s*'
    r'<path d="([^"]+)" style="([^"]+)"/>\s*</pattern>\s*',
    re.S,
)
_HATCHED = re.compile(
    r'<path d="([^"]+)"((?: clip-path="[^"]+")?) style="fill: url\(#(h[0-9a-f]+)\);([^"]*)"/>'
)


def inline_hatches(svg: str) -> str:
    """Hatched fills drawn as plain clipped line paths instead of SVG patterns.

    Chromium prints every use of an SVG ``<pattern>`` as a large tiling object (about a
    megabyte per hatched figure in the PDF); the same hatch as a few ``<use>`` copies of the
    tile's lines, clipped to the shape, prints as ordinary vector lines of a few kilobytes."""
    tiles: dict[str, tuple[float, float, str]] = {}
    defs: list[str] = []
    for m in _PATTERN.finditer(svg):
        pid, w, h, bg, d, style = m.groups()
        tiles[pid] = (float(w), float(h), bg)
        defs.append(f'<path id="{pid}-tile" d="{d}" style="{style}"/>')
    if not tiles:
        return svg
    svg = _PATTERN.sub("", svg)
    count = 0

    def replace(m: re.Match[str]) -> str:
        nonlocal count
        d, clip, pid, rest = m.groups()
        if pid not in tiles:
            return m.group(0)
        w, h, bg = tiles[pid]
        nums = [float(x) for x in re.findall(r"-?\d+(?:\.\d+)?(?:e-?\d+)?", d)]
        xs, ys = nums[0::2], nums[1::2]
        if not xs or not ys:
            return m.group(0)
        count += 1
        cid = f"{pid}-c{count}"
        uses = "".join(
            f'<use xlink:href="#{pid}-tile" x="{x0 * w:g}" y="{y0 * h:g}"/>'
            for x0 in range(math.floor(min(xs) / w), math.floor(max(xs) / w) + 1)
            for y0 in range(math.floor(min(ys) / h), math.floor(max(ys) / h) + 1)
        )
        return (
            f"<g{clip}>"
            f'<clipPath id="{cid}"><path d="{d}"/></clipPath>'
            f'<path d="{d}" style="fill: {bg}; stroke: none"/>'
            f'<g clip-path="url(#{cid})">{uses}</g>'
            f'<path d="{d}" style="fill: none;{rest}"/>'
            "</g>"
        )

    svg = _HATCHED.sub(replace, svg)
    return svg.replace("<defs>", "<defs>" + "".join(defs), 1) if "<defs>" in svg else svg


def _figure(width: float, height: float) -> Figure:
    with matplotlib.rc_context(RC):
        return Figure(figsize=(width, height), layout="constrained")


# -- a shadowed day ---------------------------------------------------------------------------

_PLAN_LABELS = {
    "DCC": "clinical (DCC)",
    "management": "management",
    "SPA": "SPA",
    "ANR": "ANR",
    "ED": "external",
}
_PLAN_FILLS = {"DCC": "#D6E6F2", "management": "#F6D9C6", "SPA": "#D3EDE4"}


class _DatedClock(mdates.DateFormatter):
    """Clock times for a night: the first tick and the first after each midnight carry their
    weekday ("Tue 23:00", "Wed 00:00"), so times past midnight are never read as earlier."""

    def __init__(self, zone: Any) -> None:
        super().__init__("%H:%M", tz=zone)
        self.zone = zone

    def format_ticks(self, values: Any) -> list[str]:
        out: list[str] = []
        last = None
        for v in values:
            local = mdates.num2date(v, tz=self.zone)
            if local.date() != last:
                out.append(local.strftime("%a %H:%M"))
                last = local.date()
            else:
                out.append(local.strftime("%H:%M"))
        return out


def timeline(
    day: DayLayout,
    styles: dict[str, Style],
    *,
    title: str = "",
    width: float = WIDTH_IN,
    show_plan: bool = True,
) -> Image:
    """One day: tasks as bars (coloured and hatched by key) in lanes for parallel tasks,
    paused stretches as dashed outlines, interruptions and demand events as marked rows,
    and the job plan's sessions as a labelled band underneath."""
    with matplotlib.rc_context(RC):
        rows = ["interruptions", "demand events"]
        plan_row = show_plan and bool(day.planned)
        n_rows = day.lanes + len(rows) + (1 if plan_row else 0)
        fig = _figure(width, 1.25 + 0.36 * n_rows)
        ax = fig.add_subplot()
        num = mdates.date2num
        ypos: dict[str, float] = {}
        y = 0.0
        ypos["interruptions"] = y
        y += 1
        ypos["demand events"] = y
        y += 1
        lane_y = [y + i for i in range(day.lanes)]
        y += day.lanes
        if plan_row:
            ypos["plan"] = y + 0.15
            y += 1.15
        # observed windows as a light background (time outside them was not seen)
        for a, b in day.windows:
            ax.axvspan(num(a), num(b), color="#F4F4F4", zorder=0, lw=0)
        span_days = max((day.end - day.start).total_seconds(), 60.0) / 86400
        thin = span_days / 400  # narrower than this, a bar is drawn without outline or hatch
        for bar in day.bars:
            st = styles.get(bar.key) or styles["other"]
            yy = lane_y[bar.lane]
            for a, b in bar.paused:
                ax.add_patch(
                    Rectangle(
                        (num(a), yy - 0.3),
                        num(b) - num(a),
                        0.6,
                        facecolor="white",
                        edgecolor="#555555",
                        linestyle=(0, (2, 1.5)),
                        linewidth=0.6,
                        zorder=2,
                    )
                )
            for a, b in bar.active:
                w = num(b) - num(a)
                wide = w >= thin
                ax.add_patch(
                    Rectangle(
                        (num(a), yy - 0.36),
                        w,
                        0.72,
                        facecolor=st.colour,
                        hatch=(st.hatch or None) if wide else None,
                        edgecolor="#222222" if wide else st.colour,
                        linewidth=0.35 if wide else 0.2,
                        zorder=3,
                    )
                )
        if day.interruptions:
            ax.plot(
                [num(t) for t in day.interruptions],
                [ypos["interruptions"]] * len(day.interruptions),
                linestyle="none",
                marker="v",
                markersize=6,
                color="#000000",
                zorder=4,
            )
        if day.demands:
            ax.plot(
                [num(t) for t in day.demands],
                [ypos["demand events"]] * len(day.demands),
                linestyle="none",
                marker="D",
                markersize=5.5,
                markerfacecolor="white",
                markeredgecolor="#000000",
                markeredgewidth=1.2,
                zorder=4,
            )
        if plan_row:
            for p in day.planned:
                x0, x1 = num(p.start), num(p.end)
                ax.add_patch(
                    Rectangle(
                        (x0, ypos["plan"] - 0.4),
                        x1 - x0,
                        0.8,
                        facecolor=_PLAN_FILLS.get(p.category, "#E6E6E6"),
                        edgecolor="#333333",
                        linewidth=0.7,
                        zorder=2,
                    )
                )
                ax.text(
                    (x0 + x1) / 2,
                    ypos["plan"],
                    _PLAN_LABELS.get(p.category, p.category),
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="#000000",
                    zorder=3,
                    clip_on=True,
                )
        lo = min([day.start, *(p.start for p in day.planned)]) if plan_row else day.start
        hi = max([day.end, *(p.end for p in day.planned)]) if plan_row else day.end
        pad = max((hi - lo).total_seconds() * 0.01, 30) / 86400
        ax.set_xlim(num(lo) - pad, num(hi) + pad)
        ax.set_ylim(y - 0.4, -0.6)
        ticks = [ypos["interruptions"], ypos["demand events"], *lane_y]
        labels = ["interruptions", "demand events"] + [
            ("tasks" if i == 0 else f"parallel {i}") for i in range(day.lanes)
        ]
        if plan_row:
            ticks.append(ypos["plan"])
            labels.append("job plan")
        ax.set_yticks(ticks, labels)
        ax.tick_params(axis="y", length=0)
        span_h = (hi - lo).total_seconds() / 3600
        if span_h > 6:
            loc: mdates.DateLocator = mdates.HourLocator(tz=day.zone)
        elif span_h > 2:
            loc = mdates.MinuteLocator(byminute=[0, 30], tz=day.zone)
        elif span_h > 0.5:
            loc = mdates.MinuteLocator(byminute=range(0, 60, 10), tz=day.zone)
        else:
            loc = mdates.MinuteLocator(byminute=range(0, 60, 5), tz=day.zone)
        ax.xaxis.set_major_locator(loc)
        clock = mdates.DateFormatter("%H:%M", tz=day.zone)
        ax.xaxis.set_major_formatter(_DatedClock(day.zone) if day.crosses_midnight else clock)
        ax.set_xlabel(f"local time ({day.zone.key})")
        ax.grid(axis="x", color="#DDDDDD", linewidth=0.6, zorder=0)
        ax.spines["left"].set_visible(False)
        if title:
            ax.set_title(title, loc="left")
        keys = [k for k in styles if any(b.key == k for b in day.bars)]
        handles: list[Patch | Line2D] = [
            Patch(
                facecolor=styles[k].colour,
                hatch=styles[k].hatch or None,
                edgecolor="#222222",
                label=styles[k].label,
            )
            for k in keys
        ]
        handles.append(
            Patch(facecolor="white", edgecolor="#555555", linestyle="--", label="paused")
        )
        handles.append(Patch(facecolor="#F4F4F4", edgecolor="#BBBBBB", label="time observed"))
        handles.append(
            Line2D([], [], linestyle="none", marker="v", color="#000000", label="interruption")
        )
        handles.append(
            Line2D(
                [],
                [],
                linestyle="none",
                marker="D",
                markerfacecolor="white",
                markeredgecolor="#000000",
                label="demand event",
            )
        )
        fig.legend(
            handles=handles,
            loc="outside lower center",
            ncols=legend_columns([str(h.get_label()) for h in handles]),
            frameon=False,
            handlelength=1.6,
        )
        return to_image(fig)


def legend_columns(labels: list[str], width: int = 70) -> int:
    """As many legend columns (at most 4) as fit the figure's width in characters, so a
    legend of long labels wraps onto more rows instead of being cut off."""
    for cols in range(min(len(labels), 4), 1, -1):
        if cols * (max(len(x) for x in labels) + 4) <= width:
            return cols
    return 1


# -- estimates with intervals -------------------------------------------------------------------


@dataclass(frozen=True)
class Series:
    """One series of an interval chart: an estimate and its interval per group (None: none)."""

    style: Style
    estimates: Sequence[float | None]
    lows: Sequence[float | None]
    highs: Sequence[float | None]


def interval_chart(
    groups: Sequence[str],
    series: Sequence[Series],
    *,
    xlabel: str,
    percent: bool = False,
    title: str = "",
    width: float = WIDTH_IN,
    bars: bool = True,
    value_format: str | None = None,
) -> Image:
    """Horizontal bars (or points) per group and series, each with its 95 % interval as a
    whisker and its value printed at the end, so the chart reads without colour."""
    with matplotlib.rc_context(RC):
        n_g, n_s = len(groups), max(1, len(series))
        slot = 0.8 / n_s
        fig = _figure(
            width, min(MAX_HEIGHT_IN, 0.9 + n_g * max(0.32, 0.24 * n_s) + 0.35 * (n_s > 1))
        )
        ax = fig.add_subplot()
        scale = 100.0 if percent else 1.0
        fmt = value_format or ("{:.0f} %" if percent else "{:.2f}")
        top = 0.0
        for j, s in enumerate(series):
            for i, _g in enumerate(groups):
                est = s.estimates[i]
                if est is None or (isinstance(est, float) and math.isnan(est)):
                    continue
                lo, hi = s.lows[i], s.highs[i]
                y = i - 0.4 + slot * (j + 0.5)
                v = est * scale
                top = max(top, v)
                if bars:
                    ax.barh(
                        y,
                        v,
                        height=slot * 0.85,
                        color=s.style.colour,
                        hatch=s.style.hatch or None,
                        edgecolor="#222222",
                        linewidth=0.5,
                        zorder=2,
                    )
                else:
                    ax.plot(
                        v,
                        y,
                        marker=s.style.marker,
                        color=s.style.colour,
                        markeredgecolor="#000000",
                        markersize=6.5,
                        linestyle="none",
                        zorder=3,
                    )
                end = v
                if _ok(lo) and _ok(hi):
                    ax.plot(
                        [lo * scale, hi * scale],
                        [y, y],
                        color="#000000",
                        linewidth=1.1,
                        zorder=4,
                    )
                    for x in (lo, hi):
                        ax.plot(
                            [x * scale, x * scale],
                            [y - slot * 0.22, y + slot * 0.22],
                            color="#000000",
                            linewidth=1.1,
                            zorder=4,
                        )
                    end = max(v, hi * scale)
                    top = max(top, end)
                ax.text(
                    end,
                    y,
                    "  " + fmt.format(v),
                    va="center",
                    ha="left",
                    fontsize=8,
                    color="#000000",
                    zorder=5,
                )
        ax.set_yticks(range(n_g), list(groups))
        ax.set_ylim(n_g - 0.5, -0.5)
        ax.set_xlim(min(0.0, ax.get_xlim()[0]), (top or 1.0) * 1.18)
        ax.set_xlabel(xlabel)
        if top * 1.18 >= 10_000:
            ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: f"{x:,.0f}"))
        ax.grid(axis="x", color="#E0E0E0", linewidth=0.6, zorder=0)
        ax.axvline(0, color="#444444", linewidth=0.8)
        if title:
            ax.set_title(title, loc="left")
        if n_s > 1:
            handles = [
                Patch(
                    facecolor=s.style.colour,
                    hatch=s.style.hatch or None,
                    edgecolor="#222222",
                    label=s.style.label,
                )
                if bars
                else Line2D(
                    [],
                    [],
                    marker=s.style.marker,
                    color=s.style.colour,
                    markeredgecolor="#000000",
                    linestyle="none",
                    label=s.style.label,
                )
                for s in series
            ]
            fig.legend(
                handles=handles,
                loc="outside lower center",
                ncols=legend_columns([str(h.get_label()) for h in handles]),
                frameon=False,
            )
        return to_image(fig)


def range_chart(
    groups: Sequence[str],
    rows: Sequence[tuple[float | None, float | None, float | None]],
    *,
    xlabel: str,
    title: str = "",
    width: float = WIDTH_IN,
    labels: tuple[str, str, str] = ("10th percentile", "median", "90th percentile"),
    style: Style | None = None,
) -> Image:
    """Per group, a line from the 10th to the 90th percentile with the median marked."""
    st = style or series_style(0, labels[1])
    with matplotlib.rc_context(RC):
        fig = _figure(width, 1.0 + 0.34 * len(groups))
        ax = fig.add_subplot()
        top = 0.0
        for i, (p10, med, p90) in enumerate(rows):
            if _ok(p10) and _ok(p90):
                ax.plot([p10, p90], [i, i], color="#333333", linewidth=2.2, zorder=2)
                for x in (p10, p90):
                    ax.plot([x, x], [i - 0.18, i + 0.18], color="#333333", lw=1.4, zorder=2)
                top = max(top, p90)
            if _ok(med):
                ax.plot(
                    med,
                    i,
                    marker=st.marker,
                    markersize=8,
                    color=st.colour,
                    markeredgecolor="#000000",
                    zorder=3,
                )
                ax.text(
                    med,
                    i - 0.3,
                    f"{med:.1f}",
                    ha="center",
                    va="bottom",
                    fontsize=8,
                    zorder=4,
                )
                top = max(top, med)
        ax.set_yticks(range(len(groups)), list(groups))
        ax.set_ylim(len(groups) - 0.4, -0.75)
        ax.set_xlim(0, (top or 1.0) * 1.1)
        ax.set_xlabel(xlabel)
        ax.grid(axis="x", color="#E0E0E0", linewidth=0.6, zorder=0)
        if title:
            ax.set_title(title, loc="left")
        fig.legend(
            handles=[
                Line2D([], [], color="#333333", linewidth=2.2, label=f"{labels[0]} to {labels[2]}"),
                Line2D(
                    [],
                    [],
                    marker=st.marker,
                    color=st.colour,
                    markeredgecolor="#000000",
                    linestyle="none",
                    label=labels[1],
                ),
            ],
            loc="outside lower center",
            ncols=2,
            frameon=False,
        )
        return to_image(fig)


def histogram(
    values: dict[str, Sequence[float]],
    *,
    xlabel: str,
    title: str = "",
    width: float = WIDTH_IN,
    bins: int = 30,
    log: bool = False,
) -> Image:
    """Histograms of per-episode values, one panel per group (same axes for comparison)."""
    import numpy as np

    names = list(values)
    with matplotlib.rc_context(RC):
        fig = _figure(width, min(MAX_HEIGHT_IN, 0.6 + 0.75 * max(1, len(names))))
        axes = fig.subplots(max(1, len(names)), 1, sharex=True, squeeze=False)[:, 0]
        allv = np.concatenate([np.asarray(v, float) for v in values.values()] or [np.zeros(0)])
        allv = allv[np.isfinite(allv) & (allv > 0)] if log else allv[np.isfinite(allv)]
        if len(allv) == 0:
            edges = np.linspace(0, 1, bins + 1)
        elif log:
            edges = np.geomspace(max(allv.min(), 1e-3), allv.max() * 1.0001, bins + 1)
        else:
            edges = np.linspace(0, allv.max() * 1.0001, bins + 1)
        for i, (ax, name) in enumerate(zip(axes, names, strict=True)):
            st = series_style(i, name)
            ax.hist(
                np.asarray(values[name], float),
                bins=edges,
                color=st.colour,
                hatch=st.hatch or None,
                edgecolor="#222222",
                linewidth=0.4,
            )
            ax.set_ylabel("count")
            ax.set_title(f"{name} (n = {len(values[name])})", loc="left", fontsize=9)
            if log:
                ax.set_xscale("log")
        axes[-1].set_xlabel(xlabel)
        if title:
            fig.suptitle(title, x=0.01, ha="left")
        return to_image(fig)


@dataclass(frozen=True)
class TrendPoint:
    start: Any  # the period's first day (a date)
    estimate: float | None
    low: float | None
    high: float | None


def trend_chart(
    panels: dict[str, Sequence[TrendPoint]],
    events: Sequence[tuple[str, Any, str]],
    *,
    ylabel: str,
    scale: float = 1.0,
    width: float = WIDTH_IN,
) -> Image:
    """One small panel per site (same axes): the estimate by period as a line with markers and
    its 95 % interval as a band; each site event a dashed vertical line numbered as in the
    report's list of events (`events`: (site, date, number))."""
    from datetime import datetime, time

    names = list(panels)
    with matplotlib.rc_context(RC):
        fig = _figure(width, min(MAX_HEIGHT_IN, 0.6 + 0.85 * max(1, len(names))))
        axes = fig.subplots(max(1, len(names)), 1, sharex=True, sharey=True, squeeze=False)[:, 0]
        st = series_style(0, ylabel)
        for ax, name in zip(axes, names, strict=True):
            pts = [p for p in panels[name] if _ok(p.estimate)]
            xs = [datetime.combine(p.start, time()) for p in pts]
            ys = [p.estimate * scale for p in pts]  # type: ignore[operator]
            band = [(x, p) for x, p in zip(xs, pts, strict=True) if _ok(p.low) and _ok(p.high)]
            if band:
                ax.fill_between(
                    [x for x, _ in band],
                    [p.low * scale for _, p in band],  # type: ignore[operator]
                    [p.high * scale for _, p in band],  # type: ignore[operator]
                    color=st.colour,
                    alpha=0.18,
                    linewidth=0,
                )
            ax.plot(xs, ys, marker=st.marker, color=st.colour, markeredgecolor="#000000", lw=1.4)
            for site, day, number in events:
                if site != name:
                    continue
                x = datetime.combine(day, time())
                ax.axvline(x, color="#000000", linestyle="--", linewidth=1.0)
                ax.annotate(
                    f" {number}",
                    (x, 1.0),
                    xycoords=("data", "axes fraction"),
                    va="top",
                    fontsize=8,
                    fontweight="bold",
                )
            ax.set_title(name, loc="left", fontsize=9)
            ax.grid(axis="y", color="#E0E0E0", linewidth=0.6)
            ax.set_ylabel(ylabel, fontsize=8)
        axes[-1].xaxis.set_major_formatter(mdates.DateFormatter("%b %Y"))
        return to_image(fig)


def difference_chart(
    features: Sequence[str],
    groups: dict[str, Sequence[float]],
    *,
    xlabel: str = "standardised difference from the other participants (SD)",
    width: float = WIDTH_IN,
) -> Image:
    """Per feature (rows), one marker per group at its standardised difference, with a line at
    0: how each style differs from everyone else."""
    with matplotlib.rc_context(RC):
        fig = _figure(width, min(MAX_HEIGHT_IN, 1.1 + 0.36 * len(features)))
        ax = fig.add_subplot()
        n = max(1, len(groups))
        for j, (name, diffs) in enumerate(groups.items()):
            st = series_style(j, name)
            ys = [i - 0.25 + 0.5 * (j + 0.5) / n for i in range(len(features))]
            ax.plot(
                list(diffs),
                ys,
                marker=st.marker,
                color=st.colour,
                markeredgecolor="#000000",
                linestyle="none",
                markersize=7,
                label=name,
            )
        ax.axvline(0, color="#444444", linewidth=0.8)
        ax.set_yticks(range(len(features)), list(features))
        ax.set_ylim(len(features) - 0.5, -0.5)
        ax.set_xlabel(xlabel)
        ax.grid(axis="x", color="#E0E0E0", linewidth=0.6)
        fig.legend(
            loc="outside lower center",
            ncols=legend_columns(list(groups)),
            frameon=False,
        )
        return to_image(fig)


def _ok(x: float | None) -> TypeGuard[float]:
    return x is not None and not (isinstance(x, float) and math.isnan(x))


__all__ = [
    "Image",
    "Series",
    "TrendPoint",
    "difference_chart",
    "histogram",
    "interval_chart",
    "range_chart",
    "timeline",
    "to_image",
    "trend_chart",
]
