"""Charts of a plan, drawn from the numbers engine's Figures: monthly and quarterly targets (seasonality visible),
the funnel, the budget split, quotas per person; and for a batch, the regions overview. PNG bytes, deterministic
for the same figures (no timestamps), Chinese labels in the shipped font (font.py).

matplotlib's object API only (no pyplot state), so charts can be drawn from the UI's worker threads.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from ..quantities import format_number, format_rate
from ..schema import Figures
from . import font

log = logging.getLogger(__name__)

WIDTH_IN = 6.3  # A4 text width: 21 cm less two 2.5 cm margins
DPI = 200
PALETTE = ["#4C78A8", "#72B7B2", "#F58518", "#E45756", "#54A24B", "#B279A2", "#9D755D", "#BAB0AC"]
INK, MUTED, GRID, NEW_HIRE = "#333333", "#7F7F7F", "#E3E3E3", "#F58518"


@dataclass(frozen=True)
class Chart:
    key: str  # file stem: targets / funnel / budget / quotas / regions
    title: str  # the caption, in Chinese
    section: str | None  # the plan section it is shown in (None: shown apart, e.g. a batch summary)
    png: bytes

    @property
    def filename(self) -> str:
        return f"{self.key}.png"


def _amount(value: float) -> str:
    """Chart labels: whole numbers from 100 up, one decimal below (1,200 / 86.7)."""
    return format_number(round(value, 1 if abs(value) < 100 else 0))


def _short(label: str) -> str:
    """'2027年3月' -> '3月', '2027年Q2' -> 'Q2' (the year is in the title)."""
    return label.split("年", 1)[-1] or label


def _draw(height: float, paint: Callable) -> bytes:
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with matplotlib.rc_context(font.rc()):
        fig = Figure(figsize=(WIDTH_IN, height), layout="constrained")
        FigureCanvasAgg(fig)
        paint(fig)
        texts = "".join(t.get_text() for t in fig.findobj(matplotlib.text.Text))
        missing = font.missing_glyphs(texts)
        if missing:
            log.warning("chart text has characters outside the shipped font: %s", missing)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return buf.getvalue()


def targets_chart(fig: Figures) -> Chart:
    months = fig.months
    quarters = list(dict.fromkeys(m.quarter for m in months))
    title = f"月度与季度目标（合计 {_amount(fig.revenue_target)} {fig.unit}）"

    def paint(f) -> None:
        ax = f.add_subplot()
        values = [m.amount for m in months]
        colors = [PALETTE[quarters.index(m.quarter) % 4] for m in months]
        bars = ax.bar(range(len(months)), values, color=colors, width=0.68)
        ax.bar_label(bars, labels=[_amount(v) for v in values], fontsize=7, padding=2, color=INK)
        top = max(values) or 1.0
        avg = sum(values) / len(values)
        ax.axhline(avg, color=MUTED, linestyle="--", linewidth=0.9, zorder=0.8)  # behind the bars
        ax.annotate(f"月均 {_amount(avg)}", (-0.45, avg), xytext=(0, 3), textcoords="offset points", fontsize=7,
                    color=MUTED, bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5})
        ax.set_xticks(range(len(months)), [_short(m.label) for m in months])
        ax.set_xlim(-0.6, len(months) - 0.4)
        ax.set_ylim(0, top * 1.3)
        ax.set_ylabel(f"目标金额（{fig.unit}）")
        for i, q in enumerate(fig.quarters):
            idx = [k for k, m in enumerate(months) if m.quarter == q.label]
            if idx:
                ax.text(sum(idx) / len(idx), top * 1.2, f"{_short(q.label)} {_amount(q.amount)}（{format_rate(q.share)}）",
                        ha="center", fontsize=7.5, color=PALETTE[i % 4])
        ax.yaxis.grid(True, color=GRID, linewidth=0.6)
        ax.set_axisbelow(True)
        ax.set_title(title + ("；虚线为月均" if len(months) > 1 else ""), loc="left", color=INK)

    return Chart("targets", title, "target_breakdown", _draw(3.1, paint))


def funnel_chart(fig: Figures) -> Chart:
    stages = fig.funnel
    title = f"销售漏斗：为成交 {stages[-1].count} 单倒推各阶段所需数量"

    def paint(f) -> None:
        ax = f.add_subplot()
        top = max(s.count for s in stages) or 1
        n = len(stages)
        for i, s in enumerate(stages):
            y = n - 1 - i
            w = max(s.count / top, 0.05)
            ax.barh(y, w, left=(1 - w) / 2, height=0.7, color=PALETTE[i % len(PALETTE)])
            ax.text(0.5, y, f"{s.name}  {s.count:,}", ha="center", va="center", fontsize=9,
                    color="white" if w > 0.3 else INK)
            if s.conversion_to_next:
                ax.text(1.03, y - 0.5, f"↓ 转化率 {format_rate(s.conversion_to_next)}", va="center", fontsize=8,
                        color=MUTED)
        ax.set_xlim(0, 1.25)
        ax.set_ylim(-0.6, n - 0.4)
        ax.axis("off")
        ax.set_title(title, loc="left", color=INK)

    return Chart("funnel", title, "funnel_capacity", _draw(0.55 * len(stages) + 0.8, paint))


def budget_chart(fig: Figures) -> Chart:
    lines = [b for b in fig.budget_lines if b.amount > 0]
    title = f"预算分配（合计 {_amount(fig.budget_total)} {fig.unit}，费用率 {format_rate(fig.expense_ratio)}）"

    def paint(f) -> None:
        pie_ax, legend_ax = f.subplots(1, 2, width_ratios=[1, 1.35])
        wedges, _ = pie_ax.pie([b.amount for b in lines], colors=PALETTE[:len(lines)], startangle=90,
                               counterclock=False, wedgeprops={"width": 0.4, "edgecolor": "white"})
        pie_ax.text(0, 0, f"{_amount(fig.budget_total)}\n{fig.unit}", ha="center", va="center", fontsize=10, color=INK)
        legend_ax.axis("off")
        legend_ax.legend(wedges, [f"{b.item}\n{_amount(b.amount)} {fig.unit}（{format_rate(b.share)}）" for b in lines],
                         loc="center left", frameon=False, fontsize=8, labelspacing=0.9)
        f.suptitle(title, x=0.01, ha="left", fontsize=10.5, color=INK)

    return Chart("budget", title, "budget", _draw(max(2.6, 0.5 * len(lines) + 1.0), paint))


def quotas_chart(fig: Figures) -> Chart:
    reps = fig.reps
    new = sum(r.new_hire for r in reps)
    title = f"个人业绩指标（{len(reps)} 人" + (f"，其中新人 {new} 人按爬坡折算" if new else "") + "）"

    def paint(f) -> None:
        ax = f.add_subplot()
        ys = list(range(len(reps)))[::-1]
        bars = ax.barh(ys, [r.quota for r in reps], height=0.6,
                       color=[NEW_HIRE if r.new_hire else PALETTE[0] for r in reps])
        ax.bar_label(bars, fontsize=8, padding=3, color=INK,
                     labels=[_amount(r.quota) + (f"（新人，{_short(r.start_month)}起算）" if r.new_hire else "")
                             for r in reps])
        ax.set_yticks(ys, [r.name if r.name.startswith(r.role) else f"{r.name}（{r.role}）" for r in reps])
        ax.set_xlim(0, max(r.quota for r in reps) * 1.5 or 1)
        ax.set_xlabel(f"业绩指标（{fig.unit}）")
        ax.xaxis.grid(True, color=GRID, linewidth=0.6)
        ax.set_axisbelow(True)
        ax.set_title(title, loc="left", color=INK)

    return Chart("quotas", title, "target_breakdown", _draw(0.34 * len(reps) + 1.0, paint))


@lru_cache(maxsize=32)
def _plan_charts(figures_json: str) -> tuple[Chart, ...]:
    fig = Figures.model_validate_json(figures_json)
    charts = [targets_chart(fig)] if fig.months else []
    if fig.funnel:
        charts.append(funnel_chart(fig))
    if fig.reps:
        charts.append(quotas_chart(fig))
    if any(b.amount > 0 for b in fig.budget_lines):
        charts.append(budget_chart(fig))
    return tuple(charts)


def plan_charts(fig: Figures) -> list[Chart]:
    """The charts of one plan, in reading order; drawn once per distinct set of figures."""
    return list(_plan_charts(fig.model_dump_json()))


def regions_chart(rows: list[tuple[str, float]], unit: str) -> Chart:
    """A batch's regions overview: each region's target and share of the total, largest first."""
    rows = sorted(rows, key=lambda r: r[1])
    total = sum(v for _, v in rows) or 1.0
    title = f"各区域目标（{len(rows)} 个区域，合计 {_amount(total)} {unit}）"

    def paint(f) -> None:
        ax = f.add_subplot()
        bars = ax.barh(range(len(rows)), [v for _, v in rows], color=PALETTE[0], height=0.6)
        ax.bar_label(bars, labels=[f"{_amount(v)}（{format_rate(v / total)}）" for _, v in rows], fontsize=8,
                     padding=3, color=INK)
        ax.set_yticks(range(len(rows)), [name for name, _ in rows])
        ax.set_xlim(0, max(v for _, v in rows) * 1.35 or 1)
        ax.set_xlabel(f"目标（{unit}）")
        ax.xaxis.grid(True, color=GRID, linewidth=0.6)
        ax.set_axisbelow(True)
        ax.set_title(title, loc="left", color=INK)

    return Chart("regions", title, None, _draw(0.3 * len(rows) + 1.0, paint))
