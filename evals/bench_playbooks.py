"""Benchmark: do offline plans read as written for their own business, and do they honour what was said?

    python evals/bench_playbooks.py                 # draft every case offline, print the figures below
    python evals/bench_playbooks.py --keep DIR      # also keep each plan (Markdown) and its request (YAML) in DIR
    python evals/bench_playbooks.py --plans DIR     # measure genericity of plans already drafted (e.g. by an older
                                                    # version): DIR holds <case>.md with <case>.yaml (the request)

Prints
  (a) genericity: the mean share of sentences and table cells with >= 8 Chinese characters that two plans for
      different industries share, after masking the request's own strings and all numbers (the same masking as
      the team's genericity tool); target <= 40% offline;
  (b) sense checks, as counts of plans: stated seasonality honoured within 1 point, given team kept, no assumption
      stated as fact, actions in order (not before their prerequisite, none after the last usable date), action
      owners exist in the team, no equal periods called the heaviest, lead sources planned in leads not revenue,
      listed sub-regions and products split, the playbook a reader would pick;
  (c) validator scores per case beside those of the drafts before the playbooks
      (evals/baselines/playbooks_before.json), and their mean.
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
BEFORE = ROOT / "evals" / "baselines" / "playbooks_before.json"
CJK = re.compile(r"[\u4e00-\u9fff]")


# ---------------------------------------------------------------- genericity (same masking as the team's tool)


def entities(req: dict) -> list[str]:
    out = []
    for k in ("company", "region", "product", "industry", "notes", "seasonality"):
        v = req.get(k)
        if isinstance(v, str) and v:
            out.append(v)
            out += [p for p in re.split(r"[（）()、，,：:;；\s]+", v) if len(p) >= 2]
    for k in ("competitors", "channels"):
        for v in req.get(k) or []:
            out.append(v if isinstance(v, str) else str(v.get("name", "")))
    return sorted({e for e in out if e}, key=len, reverse=True)


def pieces(md: str, ents: list[str]) -> set[str]:
    for e in ents:
        md = md.replace(e, "□")
    md = re.sub(r"[0-9０-９][0-9０-９,.，．%％]*", "#", md)
    md = re.sub(r"[一二三四五六七八九十百千万亿两]+(?=[个名人家单条项月季年天周])", "#", md)
    parts = re.split(r"[。；;！？\n|]", md)
    return {p.strip(" -*•#:：") for p in parts if len(CJK.findall(p)) >= 8}


def genericity(docs: list[tuple[str, str, set[str]]]) -> tuple[float, int]:
    """Mean pairwise overlap |A∩B| / min(|A|, |B|) over pairs of plans for different industries."""
    overlaps = [len(a & b) / max(1, min(len(a), len(b)))
                for (_, ia, a), (_, ib, b) in itertools.combinations(docs, 2) if ia != ib]
    return (sum(overlaps) / len(overlaps) if overlaps else 0.0), len(overlaps)


# ---------------------------------------------------------------- sense checks on one plan


def _months_share(plan, months: str) -> float:
    a, _, b = months.partition("-")
    wanted = set(range(int(a), int(b or a) + 1))
    total = sum(m.amount for m in plan.figures.months) or 1.0
    return sum(m.amount for m in plan.figures.months if int(m.label[5:-1]) in wanted) / total


def sense(case, plan, report) -> dict[str, bool | None]:
    """None = not applicable to this case."""
    exp = case.file.expect
    req = plan.request
    out: dict[str, bool | None] = {}
    shares = exp.month_shares if exp else {}
    out["季节性按所说分配（±1个百分点）"] = all(abs(_months_share(plan, k) - v) <= 0.01 for k, v in shares.items()) \
        if shares else None
    if exp and exp.peak_month:
        top = max(plan.figures.months, key=lambda m: m.amount)
        out["季节性按所说分配（±1个百分点）"] = int(top.label[5:-1]) == exp.peak_month and out.get(
            "季节性按所说分配（±1个百分点）") is not False
    if req.team:
        table = {r.role: r.count for r in plan.sections.team.roles}
        out["给定团队保持不变"] = all(table.get(r.role) == r.count for r in req.team)
    else:
        out["给定团队保持不变"] = None
    for label, item in (("没有把假设写成事实", "COH-01"), ("没有把相同期间说成最重", "COH-02"),
                        ("行动不早于前提、不晚于最后可用日", "COH-03"), ("行动负责人都在团队里", "COH-04"),
                        ("没有重复的词", "COH-05")):
        status = report.item(item).status
        out[label] = None if status == "na" else status == "pass"
    rows = {c.channel: c for c in plan.sections.channel_plan.channels}
    leads = exp.lead_sources if exp else []
    out["线索来源按线索计、不分收入"] = all(n in rows and rows[n].target_amount is None and rows[n].leads
                                            for n in leads) if leads else None
    regions = {r.name for r in plan.sections.target_breakdown.regions}
    products = {p.name for p in plan.sections.target_breakdown.products}
    splits = (exp.subregions if exp else []), (exp.products if exp else [])
    out["子区域与多产品各自成行"] = (set(splits[0]) <= regions and set(splits[1]) <= products) \
        if (splits[0] or splits[1]) else None
    out["选中读者会选的行业手册"] = plan.figures.playbook_id == exp.playbook if exp and exp.playbook else None
    return out


# ---------------------------------------------------------------- main


def _draft_all(keep: Path | None):
    from assistant.drafting.offline import draft_offline
    from assistant.evals.cases import load_cases
    from assistant.render import to_markdown
    from assistant.validation import validate_plan

    cases, errors = load_cases(ROOT / "evals" / "cases")
    for e in errors:
        print("用例有误：", e.message(), file=sys.stderr)
    rows = []
    for case in cases:
        if case.request is None:
            continue
        plan = draft_offline(case.request)
        report = validate_plan(plan)
        md = to_markdown(plan)
        raw = case.file.request or case.request.model_dump(mode="json", exclude_none=True)
        if keep:
            (keep / f"{case.id}.md").write_text(md, encoding="utf-8")
            (keep / f"{case.id}.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
        rows.append((case, plan, report, pieces(md, entities(raw))))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="folder to keep the drafted plans and requests in")
    parser.add_argument("--plans", type=Path, help="measure genericity of an existing folder of plans instead")
    args = parser.parse_args()
    if args.plans:
        from assistant.evals.cases import load_cases
        from assistant.planning.choice import choose_playbook
        from assistant.request import build_request

        expected = {c.id: c.file.expect.playbook for c in load_cases(ROOT / "evals" / "cases")[0]
                    if c.file.expect and c.file.expect.playbook}
        docs = []
        for md in sorted(args.plans.glob("*.md")):
            req = yaml.safe_load(md.with_suffix(".yaml").read_text(encoding="utf-8"))
            kind = expected.get(md.stem) or choose_playbook(build_request(req)).playbook.id
            docs.append((md.stem, kind, pieces(md.read_text(encoding="utf-8"), entities(req))))
        g, n = genericity(docs)
        print(f"genericity（{args.plans}）：{g:.0%}，{n}对不同行业的方案")
        return 0
    keep = args.keep
    if keep:
        keep.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory():
        rows = _draft_all(keep)
    industry = {c.id: (c.file.expect.playbook if c.file.expect and c.file.expect.playbook else p.figures.playbook_id)
                for c, p, _, _ in rows}
    g, n = genericity([(c.id, industry[c.id], s) for c, _, _, s in rows])
    print(f"(a) genericity：{g:.0%}（{len(rows)}份离线方案，{n}对不同行业的方案；目标 ≤ 40%）")

    print("(b) 合理性检查（通过/适用）：")
    results = [sense(c, p, r) for c, p, r, _ in rows]
    for label in results[0]:
        applicable = [(c.id, res[label]) for (c, _, _, _), res in zip(rows, results, strict=True)
                      if res[label] is not None]
        passed = sum(1 for _, ok in applicable if ok)
        failed = [cid for cid, ok in applicable if not ok]
        print(f"    {label}：{passed}/{len(applicable)}" + (f"  未通过：{'、'.join(failed)}" if failed else ""))

    before = json.loads(BEFORE.read_text(encoding="utf-8")) if BEFORE.is_file() else {}
    old = before.get("scores", {})
    print("(c) 校验器得分（现在 / 引入行业手册前）：")
    pairs = []
    for case, _, report, _ in rows:
        was = old.get(case.id)
        pairs.append((report.score, was))
        print(f"    {case.id}: {report.score:.1f}" + (f" / {was:.1f}" if was is not None else ""))
    both = [(a, b) for a, b in pairs if b is not None]
    if both:
        print(f"    平均：{sum(a for a, _ in both) / len(both):.1f} / {sum(b for _, b in both) / len(both):.1f}"
              f"（{len(both)}个用例；低于之前的用例：{sum(1 for a, b in both if a < b)}个）")
    if before.get("genericity") is not None:
        print(f"    引入行业手册前的 genericity：{before['genericity']:.0%}（{before.get('note', '')}）")
    return 0


if __name__ == "__main__":
    sys.exit(main())
