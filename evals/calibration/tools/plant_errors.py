"""Make the calibration set's planted-error plans from the offline drafts (exact, checked replacements).

    python3 evals/calibration/tools/plant_errors.py    (reads plans/t0*.md and sources/*.json beside it)
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
PLANS = HERE.parent / "plans"
SOURCES = HERE.parent / "sources"

MD_PLANTS = {
    # months sum 1,150 ≠ target 1,200 (July 90 -> 40); budget lines 165 ≠ total 150 (客户维护 30 -> 45)
    "p01_planted_months_budget_lubricant.md": ("t06_offline_b2b-lubricant-jiangsu-year.md", [
        ("| 2027年7月 | 90.00 | 7.5% |", "| 2027年7月 | 40.00 | 7.5% |"),
        ("| 客户维护（增值服务、客情） | 30.00 |", "| 客户维护（增值服务、客情） | 45.00 |"),
    ]),
    # opportunities 240 ≠ 60 deals ÷ 20% = 300; an action dated 2027-07-15, after the quarter ends 2027-06-30
    "p02_planted_funnel_date_saas.md": ("t03_offline_saas-crm-east-quarter.md", [
        ("| 商机 | 300 | 20% |", "| 商机 | 240 | 20% |"),
        ("| 期末复盘，沉淀成功案例与改进清单 | 上海、杭州销售经理 | 2027-06-27 |",
         "| 期末复盘，沉淀成功案例与改进清单 | 上海、杭州销售经理 | 2027-07-15 |"),
    ]),
    # growth stated 15% while 8,000 ÷ 7,100 − 1 = 12.7%; an action dated 2026-12-20, before the period starts
    "p04_planted_growth_date_beverage.md": ("t02_offline_fmcg-beverage-henan-dealers-year.md", [
        ("较上期7,100万元增长12.7%", "较上期7,100万元增长15%"),
        ("| 召开目标分解会，确认区域与个人指标 | 河南销售经理 | 2027-01-08 |",
         "| 召开目标分解会，确认区域与个人指标 | 河南销售经理 | 2026-12-20 |"),
    ]),
}


def plant_md() -> None:
    for out, (src, edits) in MD_PLANTS.items():
        text = (PLANS / src).read_text(encoding="utf-8")
        for old, new in edits:
            assert text.count(old) == 1, (src, old, text.count(old))
            text = text.replace(old, new)
        (PLANS / out).write_text(text, encoding="utf-8")
        print(out)


def plant_json() -> None:
    """The JSON target tampered to disagree with every table (issue 15): 1,200 -> 1,500 in figures only."""
    data = json.loads((SOURCES / "t06_offline_b2b-lubricant-jiangsu-year.json").read_text(encoding="utf-8"))
    assert data["figures"]["revenue_target"] == 1200.0
    data["figures"]["revenue_target"] = 1500.0
    out = PLANS / "p03_planted_json_target_lubricant.json"
    out.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    print(out.name)


if __name__ == "__main__":
    plant_md()
    plant_json()
