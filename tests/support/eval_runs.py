"""Small hand-built eval runs (scores and pass flags, no model text) for the gate and report tests."""

from __future__ import annotations

from datetime import datetime

from assistant.evals.results import DraftRecord, ItemInfo, Manifest, RunData, SectionCall, VersionInfo

CASES = [f"case-{i:02d}" for i in range(12)]


def make_run(run_id: str, version: str, scores: dict[str, list[float]], *, passed=None, items=None, fallbacks=0,
         critical_floor=None) -> RunData:
    drafts = []
    for case, reps in scores.items():
        for r, score in enumerate(reps):
            ok = passed(case, r) if passed else score >= 70
            sections = {"risks": SectionCall(status="fallback" if (fallbacks and r == 0 and
                                                                  CASES.index(case) < fallbacks) else "done",
                                             attempts=1, latency_s=12.0, tokens_in=900, tokens_out=300)}
            drafts.append(DraftRecord(case_id=case, version=version, repeat=r, score=score, passed=ok,
                                      items=(items(case, r) if items else {"a:budget": True}), sections=sections,
                                      texts={"risks": f"{version} {case} 风险应对"}, latency_s=12.0))
    manifest = Manifest(run_id=run_id, created_at=datetime(2026, 11, 23), mode="replay", model="local-qwen",
                        versions=[VersionInfo(name=version, hash="h" + version, files=3)], llm_sections=["risks"],
                        repeats={version: max(len(v) for v in scores.values())}, cases_hash="cases", case_ids=CASES)
    catalogue = {"a:budget": ItemInfo(id="a:budget", label="预算合计等于150万", source="case", critical=True,
                                      floor=critical_floor)}
    return RunData(manifest=manifest, items=catalogue, drafts=drafts)
