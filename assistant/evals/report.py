"""Run and comparison reports: JSON (everything), Markdown (fit for a PR comment), static HTML, JUnit XML."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from xml.etree import ElementTree as ET

from ..files import atomic_write
from ..schema import SECTIONS
from .compare import Comparison, VersionSummary
from .results import RunData

VERDICT = {"regression": "❌ 退步（门禁不通过）", "better": "✅ 更好（置信区间整体为正）", "no_regression": "➖ 未发现退步"}
SIDE_CHARS = 600
_NUM = re.compile(r"[+\-−]?[\d.,]+(%| 个百分点|（\d+/\d+）|（[\d.]+–[\d.]+）)?|\d+/\d+|—")


def _title(key: str) -> str:
    return SECTIONS[key].title if key in SECTIONS else key


def _pct(x: float) -> str:
    return f"{x:.0%}"


def _md_cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _points(x: float) -> str:
    return f"{x * 100:+.0f} 个百分点"


def _metrics_rows(a: VersionSummary, b: VersionSummary) -> list[tuple[str, str, str, str]]:
    def row(name, va, vb, fmt, diff=None):
        d = (diff or fmt)(vb - va) if isinstance(va, (int, float)) and isinstance(vb, (int, float)) else ""
        return name, fmt(va) if va is not None else "—", fmt(vb) if vb is not None else "—", d

    rows = [
        row("确定性得分（均值）", a.mean_score, b.mean_score, lambda x: f"{x:.1f}"),
        ("校验器得分（均值）", f"{a.mean_validator:.1f}" if a.mean_validator is not None else "—",
         f"{b.mean_validator:.1f}" if b.mean_validator is not None else "—", ""),
        row("通过率（每稿）", a.pass_rate, b.pass_rate, _pct, _points),
        row(f"pass^N（N 次全过，A N={a.repeat.repeats} / B N={b.repeat.repeats}）", a.repeat.pass_all,
            b.repeat.pass_all, _pct, _points),
        row("兜底率（章节）", a.fallback_rate, b.fallback_rate, _pct, _points),
        row("重问率（章节）", a.reask_rate, b.reask_rate, _pct, _points),
        row("结构失败率（章节）", a.schema_failure_rate, b.schema_failure_rate, _pct, _points),
        row("tokens 输入/稿", a.tokens_in / max(a.drafts, 1), b.tokens_in / max(b.drafts, 1), lambda x: f"{x:.0f}"),
        row("tokens 输出/稿", a.tokens_out / max(a.drafts, 1), b.tokens_out / max(b.drafts, 1), lambda x: f"{x:.0f}"),
        row("费用（合计）", a.cost, b.cost, lambda x: f"{x:.4f}"),
        row("模型耗时/稿（录制时，秒）", a.latency_mean_s, b.latency_mean_s, lambda x: f"{x:.1f}"),
    ]
    for k in sorted(set(a.judge_means) | set(b.judge_means)):
        rows.append(row(f"评审·{k}（1-5，不计入得分）", a.judge_means.get(k, 0.0), b.judge_means.get(k, 0.0),
                        lambda x: f"{x:.2f}"))
    if a.judged or b.judged:
        rows.append(("评审失败次数", str(a.judge_failures), str(b.judge_failures), ""))
    return rows


def _spread(mean: float, scores: list[float]) -> str:
    """The case's mean score, with the range over repeats when there are several."""
    return f"{mean:.1f}（{min(scores):.1f}–{max(scores):.1f}）" if len(scores) > 1 else f"{mean:.1f}"


def comparison_markdown(c: Comparison, *, max_cases: int = 15, max_items: int = 12) -> str:
    d = c.delta
    out = [f"### 提示词评测：{c.a.version} → {c.b.version}　{VERDICT[c.verdict]}", "",
           f"A = `{c.a.label}`，B = `{c.b.label}`；配对用例 {d.n} 个。", "",
           f"**平均分差 mean(B−A) = {d.mean:+.2f}**，配对自助法 95% 置信区间 [{d.ci_low:+.2f}, {d.ci_high:+.2f}]；"
           f"胜/平/负 = {d.wins}/{d.ties}/{d.losses}", ""]
    for w in c.warnings:
        out.append(f"> ⚠️ {w}")
    if c.warnings:
        out.append("")
    out += ["| 指标 | A | B | 变化 |", "|---|---:|---:|---:|"]
    out += [f"| {n} | {va} | {vb} | {dv} |" for n, va, vb, dv in _metrics_rows(c.a, c.b)]
    out += ["", "**门禁**：" + ("未通过" if c.gate.regression else "通过")]
    out += [f"- ❌ {r}" for r in c.gate.reasons]
    out += ["<details><summary>门禁规则</summary>", ""] + [f"{i}. {r}" for i, r in enumerate(c.gate.rules, 1)]
    out += ["", "</details>", "", "#### 逐用例配对差值（最差在前）", "",
            "| 用例 | A 得分（重复间范围） | B 得分 | Δ | A 通过 | B 通过 | 翻转 |", "|---|---:|---:|---:|---:|---:|---|"]
    for x in c.cases[:max_cases]:
        out.append(f"| {x.case_id} | {_spread(x.a_mean, x.a_scores)} | {_spread(x.b_mean, x.b_scores)} | "
                   f"{x.delta:+.1f} | {x.a_pass} | {x.b_pass} | "
                   f"{'⚠️ ' + x.flip if x.flip == 'pass→fail' else x.flip} |")
    if len(c.cases) > max_cases:
        out.append(f"| …另有 {len(c.cases) - max_cases} 个用例 | | | | | | |")
    changed = [i for i in c.items if abs(i.delta) > 1e-9]
    out += ["", "#### 检查项通过率变化（变差在前）", ""]
    if changed:
        out += ["| 检查项 | 章节 | A | B | Δ |", "|---|---|---:|---:|---:|"]
        for i in changed[:max_items]:
            flag = "🔒 " if i.critical else ""
            out.append(f"| {flag}{_md_cell(i.label)} | {_title(i.section) if i.section else '—'} | {_pct(i.a_rate)} | "
                       f"{_pct(i.b_rate)} | {i.delta * 100:+.0f} 个百分点 |")
        if len(changed) > max_items:
            out.append(f"| …另有 {len(changed) - max_items} 项有变化 | | | | |")
    else:
        out.append("各检查项通过率没有变化。")
    out += ["", "#### 重复稳定性", "", "| 版本 | N | 用例数 | 平均极差 | 最大极差 | 平均标准差 | pass^N | 翻转率 |",
            "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for s in (c.a, c.b):
        r = s.repeat
        name = s.version if c.a.version != c.b.version else s.label  # baseline vs run of the same version
        if r.repeats > 1:
            out.append(f"| {name} | {r.repeats} | {r.cases} | {r.mean_spread:.1f} | {r.max_spread:.1f} | "
                       f"{r.mean_std:.1f} | {_pct(r.pass_all)} | {_pct(r.flip_rate)} |")
        else:
            out.append(f"| {name} | 1 | {r.cases} | — | — | — | {_pct(r.pass_all)} | — |")
    if c.pairwise:
        total = sum(c.pairwise.values())
        out += ["", f"成对评审（随机调换 A/B 顺序，{total} 次）：B 胜 {c.pairwise.get('b', 0)}、A 胜 "
                f"{c.pairwise.get('a', 0)}、平 {c.pairwise.get('tie', 0)}、评审失败 {c.pairwise.get('failure', 0)}"]
    if c.side_by_side:
        s = c.side_by_side
        out += ["", f"<details><summary>变化最大的章节：{s.case_id} ·「{_title(s.section)}」（相似度 {s.similarity:.0%}）"
                "</summary>", "", "| A | B |", "|---|---|",
                f"| {_md_cell(s.a_text[:SIDE_CHARS])} | {_md_cell(s.b_text[:SIDE_CHARS])} |", "", "</details>"]
    return "\n".join(out) + "\n"


def run_markdown(run: RunData, summaries: list[VersionSummary], comparisons: list[Comparison]) -> str:
    m = run.manifest
    out = [f"## 评测运行 {m.run_id}", "",
           f"模型 `{m.model or '离线'}`｜模式 {m.mode}｜提示词 " + "、".join(f"{v.name}（{v.hash}）" for v in m.versions)
           + f"｜用例集 {m.cases_hash}（{len(m.case_ids)} 个）｜git {str(m.git_commit or '—')[:10]}"
           + ("（有未提交改动）" if m.git_dirty else ""), "",
           f"模型起草章节：{'、'.join(_title(k) for k in m.llm_sections) or '无'}；其余 {len(m.offline_sections)} "
           f"章为离线起草器（已在清单中标注）。重复次数：" + "、".join(f"{k}×{v}" for k, v in m.repeats.items()), "",
           f"得分公式：{m.score_formula}", ""]
    if run.case_errors:
        out += ["**未能运行的用例**：", *[f"- {e.message()}" for e in run.case_errors], ""]
    errors = [d for d in run.drafts if not d.ok]
    if errors:
        out += ["**起草失败**：", *[f"- {d.case_id} / {d.version} / 第{d.repeat + 1}次：{d.error}" for d in errors[:20]],
                ""]
    versions = [s.version for s in summaries]
    out += ["#### 用例 × 版本（平均分，通过次数）", "", "| 用例 | " + " | ".join(versions) + " |",
            "|---|" + "---:|" * len(versions)]
    for case in m.case_ids:
        cells = []
        for v in versions:
            ds = [d for d in run.drafts if d.case_id == case and d.version == v and d.ok]
            cells.append(f"{sum(d.score for d in ds) / len(ds):.1f}（{sum(d.passed for d in ds)}/{len(ds)}）"
                         if ds else "—")
        out.append(f"| {case} | " + " | ".join(cells) + " |")
    out.append("")
    if m.repair:
        out += _repair_markdown(run)
    for c in comparisons:
        out += [comparison_markdown(c), ""]
    return "\n".join(out)


def _repair_markdown(run: RunData) -> list[str]:
    """With --repair: the validator score of each draft before and after the model repaired it."""
    out = ["#### 修复前后（整份方案的校验器得分）", "", "| 用例 | 版本 | 第几次 | 修复前 | 修复后 | 各轮 |",
           "|---|---|---:|---:|---:|---|"]
    for d in run.drafts:
        if d.ok and d.score_history:
            h = d.score_history
            out.append(f"| {d.case_id} | {d.version} | {d.repeat + 1} | {h[0]:.1f} | {h[-1]:.1f} | "
                       + ("→".join(f"{x:.1f}" for x in h) if len(h) > 1 else "已达标，未修复") + " |")
    return out + [""]


_CSS = """body{font-family:system-ui,'PingFang SC','Microsoft YaHei',sans-serif;max-width:1100px;margin:2em auto;
padding:0 1em;color:#222}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;
vertical-align:top}th{background:#f4f4f4}td.num{text-align:right}pre{white-space:pre-wrap}.bad{color:#b00}
.good{color:#070}details{margin:1em 0}"""


def _md_to_html(md: str) -> str:
    """Just enough Markdown (headings, tables, lists, quotes, details) for the report's own output."""
    lines, out, table = md.splitlines(), [], False
    for line in lines:
        if line.startswith("|"):
            if re.fullmatch(r"\|[\s\-:|]+\|", line.strip()):
                continue  # the header separator row
            cells = [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line.strip()[1:-1])]
            if not table:
                out.append("<table>")
                table = True
                out.append("<tr>" + "".join(f"<th>{html.escape(c)}</th>" for c in cells) + "</tr>")
            else:
                out.append("<tr>" + "".join(f"<td{' class=num' if _NUM.fullmatch(c) else ''}>{html.escape(c)}</td>"
                                            for c in cells) + "</tr>")
            continue
        if table:
            out.append("</table>")
            table = False
        if line.startswith("#"):
            level = len(line) - len(line.lstrip("#"))
            out.append(f"<h{level}>{html.escape(line.lstrip('#').strip())}</h{level}>")
        elif line.startswith(("<details>", "</details>")):
            out.append(line)
        elif line.startswith("- "):
            out.append(f"<li>{html.escape(line[2:])}</li>")
        elif line.startswith("> "):
            out.append(f"<blockquote>{html.escape(line[2:])}</blockquote>")
        elif line.strip():
            out.append(f"<p>{html.escape(line).replace('**', '')}</p>")
    if table:
        out.append("</table>")
    return "\n".join(out)


def to_html(markdown: str, title: str) -> str:
    return (f"<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{_CSS}</style></head><body>\n{_md_to_html(markdown)}\n</body></html>\n")


def to_junit(run: RunData, comparisons: list[Comparison]) -> str:
    """One test suite per prompt version (a test per case × repeat) plus one per comparison gate."""
    root = ET.Element("testsuites", name=f"planassist-eval-{run.manifest.run_id}")
    for v in run.versions():
        drafts = sorted(run.for_version(v), key=lambda d: (d.case_id, d.repeat))
        suite = ET.SubElement(root, "testsuite", name=f"eval.{v}", tests=str(len(drafts)),
                              failures=str(sum(1 for d in drafts if d.ok and not d.passed)),
                              errors=str(sum(1 for d in drafts if not d.ok)))
        for d in drafts:
            tc = ET.SubElement(suite, "testcase", classname=f"eval.{v}.{d.case_id}", name=f"repeat{d.repeat}",
                               time=f"{d.latency_s:.3f}")
            if not d.ok:
                ET.SubElement(tc, "error", message=d.error or "error")
            elif not d.passed:
                failing = [f"{k}: {d.details.get(k, '')}".strip() for k, ok in d.items.items() if not ok]
                f = ET.SubElement(tc, "failure", message=f"score {d.score:.1f}")
                f.text = "\n".join(failing)
            ET.SubElement(tc, "system-out").text = f"score={d.score:.2f}"
        for e in run.case_errors:
            tc = ET.SubElement(suite, "testcase", classname=f"eval.{v}.case-file", name=Path(e.path).name)
            ET.SubElement(tc, "error", message=e.message())
    for c in comparisons:
        suite = ET.SubElement(root, "testsuite", name=f"gate.{c.a.version}-vs-{c.b.version}", tests="1",
                              failures=str(int(c.gate.regression)), errors="0")
        tc = ET.SubElement(suite, "testcase", classname="eval.gate", name=f"{c.a.label} -> {c.b.label}")
        if c.gate.regression:
            ET.SubElement(tc, "failure", message="regression").text = "\n".join(c.gate.reasons)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def write_report(folder: Path, run: RunData, summaries: list[VersionSummary], comparisons: list[Comparison],
                 markdown: str | None = None) -> dict[str, Path]:
    md = markdown if markdown is not None else run_markdown(run, summaries, comparisons)
    data = {"manifest": json.loads(run.manifest.model_dump_json()),
            "summaries": [json.loads(s.model_dump_json()) for s in summaries],
            "comparisons": [json.loads(c.model_dump_json()) | {"verdict": c.verdict} for c in comparisons],
            "case_errors": [e.model_dump() for e in run.case_errors]}
    folder = Path(folder)
    return {
        "json": atomic_write(folder / "report.json", json.dumps(data, ensure_ascii=False, indent=1, default=str)),
        "md": atomic_write(folder / "report.md", md),
        "html": atomic_write(folder / "report.html", to_html(md, f"评测报告 {run.manifest.run_id}")),
        "junit": atomic_write(folder / "junit.xml", to_junit(run, comparisons)),
    }
