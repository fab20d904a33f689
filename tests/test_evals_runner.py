"""A run end to end on the real chain with a scripted chat model: record, then replay with no model at all; repeats
are separate recordings; an interrupted run resumes; a prompt version missing a template is refused before any
call; a missing recording fails loudly with the command that records it; the budget check stops an expensive run.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
import yaml

from assistant.config import PROJECT_ROOT, Settings
from assistant.drafting.prompts import load_prompts
from assistant.evals.chain import ChainDrafter
from assistant.evals.runner import HarnessError, RunOptions
from assistant.evals.service import run as run_eval
from assistant.planning.engine import compute_figures

sys.path.insert(0, str(Path(__file__).parent))
from support.fakes import ScriptedChatModel, good_args, section_of, tool_answer  # noqa: E402

pytestmark = pytest.mark.slow  # `make test-fast` leaves these out

CASES = ["b2b-lubricant-jiangsu-year", "saas-crm-east-quarter"]


@pytest.fixture(scope="module")
def shared_data(tmp_path_factory):
    """One data folder for the module: the eval's knowledge base is built once (it only holds knowledge/)."""
    return tmp_path_factory.mktemp("eval-data")


@pytest.fixture()
def workspace(tmp_path, shared_data):
    prompts = tmp_path / "prompts"
    shutil.copytree(PROJECT_ROOT / "prompts" / "v1", prompts / "v1")
    shutil.copytree(PROJECT_ROOT / "prompts" / "v1", prompts / "v1b")
    settings = Settings(data_dir=shared_data, prompts_dir=prompts, llm_model="local-qwen",
                        llm_structured_method="function_calling")
    options = RunOptions(versions=["v1", "v1b"], only_cases=CASES, sections=["risks"],
                         recordings=tmp_path / "recordings", reports_dir=tmp_path / "reports", mode="record",
                         repeats={"v1": 2})
    return settings, options


def _scripted(settings: Settings, requests: dict, calls: list):
    """A model that answers each section with the offline drafter's text in the model's JSON shape."""

    def responder(messages, kwargs):
        key = section_of(messages)
        system = str(messages[0].content)
        req = next(r for company, r in requests.items() if company in system)
        calls.append(key)
        prompts = load_prompts(settings.prompts_dir, "v1")
        return tool_answer(key, good_args(key, req, compute_figures(req), prompts), tokens_in=1000, tokens_out=200)

    return lambda repeat: ScriptedChatModel(responder=responder)


def _drafter(settings, options, mode, inner_factory=None):
    return ChainDrafter(settings, mode=mode, recordings=options.recordings, llm_sections=options.llm_sections(),
                        repair=False, record_hint=lambda v: f"record {v}", inner_factory=inner_factory)


def _requests():
    from assistant.evals.cases import load_cases

    cases, _ = load_cases(PROJECT_ROOT / "evals" / "cases", CASES)
    return {c.request.company: c.request for c in cases}


def test_record_then_replay_without_a_model_gives_the_same_run(workspace):
    settings, options = workspace
    calls: list[str] = []
    recorder = _drafter(settings, options, "record", _scripted(settings, _requests(), calls))
    recorded, folder, comparisons = run_eval(options.model_copy(update={"run_id": "rec"}), settings,
                                             drafter=recorder)
    assert len(calls) == 2 * (2 + 1)  # cases × (v1 twice + v1b once), one section each
    assert len(list((options.recordings / "v1").glob("*.json"))) == 4  # repeats are separate recordings
    index = yaml.safe_load((options.recordings / "v1" / "MANIFEST.yaml").read_text(encoding="utf-8"))
    assert index["answers"] == 4 and index["model"] == "local-qwen"
    assert [(r["sections"], r["cases"], r["repeats"]) for r in index["runs"]] == [(["risks"], CASES, 2)]
    assert all(d.ok and d.calls == 1 and d.latency_s > 0 for d in recorded.drafts)
    assert (folder / "report.md").is_file() and (folder / "junit.xml").is_file()

    replay_options = options.model_copy(update={"mode": "replay", "run_id": "replay"})
    replayer = _drafter(settings, replay_options, "replay")  # no inner model: a miss cannot reach a network
    replayed, _, again = run_eval(replay_options, settings, drafter=replayer)
    assert [(d.case_id, d.version, d.repeat, d.score, d.items) for d in replayed.drafts] == \
           [(d.case_id, d.version, d.repeat, d.score, d.items) for d in recorded.drafts]
    assert all(d.calls == 0 and d.tokens_in == 1000 for d in replayed.drafts)  # recorded tokens, not zero
    assert again[0].delta.mean == comparisons[0].delta.mean == 0
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["llm_sections"] == ["risks"] and "executive_summary" in manifest["offline_sections"]
    assert manifest["versions"][0]["hash"] and manifest["cases_hash"] and manifest["repeats"] == {"v1": 2, "v1b": 1}


def test_a_missing_recording_fails_loudly_with_the_command_that_records_it(workspace):
    settings, options = workspace
    (options.recordings / "v1").mkdir(parents=True)
    (options.recordings / "v1" / "stale.json").write_text("{}", encoding="utf-8")
    replay = options.model_copy(update={"mode": "replay", "versions": ["v1"]})
    with pytest.raises(HarnessError) as exc:
        run_eval(replay, settings, drafter=_drafter(settings, replay, "replay"))
    assert "缺少录制的模型回答" in str(exc.value) and "record v1" in str(exc.value)


def test_a_version_without_any_recordings_is_refused_with_how_to_record_it_against_your_own_endpoint(workspace):
    settings, options = workspace
    with pytest.raises(HarnessError) as exc:
        run_eval(options.model_copy(update={"mode": "replay"}), settings)
    message = str(exc.value)
    assert "没有录制的模型回答" in message and "用你自己的模型服务录制" in message
    assert "export PLAN_LLM_BASE_URL=" in message and "--mode record --prompts v1 --prompts v1b" in message
    assert "--sections risks" in message and "--repeats v1=2" in message
    assert "shared" not in message and "local-llm" not in message       # no path of this repository's authors


def test_replaying_without_a_scope_compares_what_was_recorded_instead_of_failing(workspace):
    """`planassist eval run --prompts v1 --prompts v1b` with no model: the recordings cover one section of two
    cases; the replay narrows to that scope (and says so) instead of asking for 16 sections of every case."""
    settings, options = workspace
    calls: list[str] = []
    run_eval(options.model_copy(update={"run_id": "rec"}), settings,
             drafter=_drafter(settings, options, "record", _scripted(settings, _requests(), calls)))
    said: list[str] = []
    unscoped = options.model_copy(update={"mode": "auto", "sections": None, "only_cases": [], "run_id": "readme",
                                          "repeats": {}})
    offline_model = settings.model_copy(update={"llm_model": None})
    data, _, comparisons = run_eval(unscoped, offline_model, progress=said.append)
    assert data.manifest.mode == "replay" and data.manifest.llm_sections == ["risks"]
    assert sorted(data.manifest.case_ids) == sorted(CASES) and all(d.ok for d in data.drafts)
    assert any("回放已录制的范围" in line and "2 个用例" in line for line in said)
    assert comparisons[0].delta.mean == 0       # v1b is a copy of v1: a real comparison, honestly a tie


def test_a_prompt_version_missing_a_section_template_is_rejected_before_any_model_call(workspace):
    settings, options = workspace
    (settings.prompts_dir / "v1b" / "sections" / "risks.md").unlink()
    calls: list[str] = []
    with pytest.raises(HarnessError, match="v1b.*risks.md|risks.md"):
        run_eval(options, settings, drafter=_drafter(settings, options, "record",
                                                     _scripted(settings, _requests(), calls)))
    assert calls == []


def test_an_interrupted_run_resumes_without_drafting_finished_cases_again(workspace):
    settings, options = workspace
    calls: list[str] = []
    opts = options.model_copy(update={"run_id": "resume", "versions": ["v1"]})
    run_eval(opts, settings, drafter=_drafter(settings, opts, "record", _scripted(settings, _requests(), calls)))
    first = len(calls)
    draft_file = opts.reports_dir / "resume" / "drafts" / "v1" / CASES[0] / "r1.json"
    draft_file.unlink()  # as if the run had stopped before this draft
    again, _, _ = run_eval(opts, settings, drafter=_drafter(settings, opts, "record",
                                                            _scripted(settings, _requests(), calls)))
    assert len(calls) == first  # the redrafted job was answered from its recording
    assert draft_file.is_file() and len(again.drafts) == 4


def test_the_cost_estimate_stops_a_run_above_max_cost(workspace):
    settings, options = workspace
    priced = settings.model_copy(update={"llm_price_in": 1.0, "llm_price_out": 2.0})
    with pytest.raises(HarnessError, match="超过 --max-cost"):
        run_eval(options.model_copy(update={"max_cost": 0.5, "mode": "record"}), priced,
                 drafter=_drafter(priced, options, "record", lambda r: None))


def test_with_repair_the_report_shows_each_drafts_score_before_and_after(workspace):
    """A first answer whose risks have no owner fails the validator's critical item; the repair round feeds that back
    and the model's second answer fixes it: the run records the score history and the report shows both."""
    settings, options = workspace
    requests, calls = _requests(), []
    good = _scripted(settings, requests, calls)(0)

    def responder(messages, kwargs):
        answer = good.responder(messages, kwargs)
        if "【评审意见】" not in str(messages[-1].content):
            args = answer.tool_calls[0]["args"]
            for risk in args["risks"]:
                risk["owner"] = ""
            return tool_answer("risks", args, tokens_in=1000, tokens_out=200)
        return answer

    opts = options.model_copy(update={"run_id": "repaired", "versions": ["v1"], "repair": True,
                                      "repeats": {"v1": 1}})
    drafter = ChainDrafter(settings, mode="record", recordings=opts.recordings, llm_sections=opts.llm_sections(),
                           repair=True, record_hint=lambda v: "", inner_factory=lambda r: ScriptedChatModel(
                               responder=responder))
    run, folder, _ = run_eval(opts, settings, drafter=drafter)
    for d in run.drafts:
        assert len(d.score_history) == 2 and d.score_history[1] > d.score_history[0], d.score_history
    report = (folder / "report.md").read_text(encoding="utf-8")
    assert "#### 修复前后（整份方案的校验器得分）" in report
    first = run.drafts[0]
    assert f"| {first.case_id} | v1 | 1 | {first.score_history[0]:.1f} | {first.score_history[1]:.1f} |" in report


def test_an_answer_streamed_by_a_real_openai_client_is_recorded_and_replayed(tmp_path):
    """Recording against a real server: ChatOpenAI streams, and the finish reason arrives in the last chunk's
    generation info, not in the message. The answer must still be written down, and replay the same."""
    from langchain_core.messages import HumanMessage

    from assistant.drafting.llm import make_chat_model
    from assistant.evals.chain import RecordingChatModel
    from assistant.evals.recording import RecordingCache
    from support.endpoints import FakeEndpoint, sse

    answer = '{"目标": "销售额1200万元"}'
    with FakeEndpoint(lambda n, body: sse(answer)) as ep:
        inner = make_chat_model(Settings(llm_base_url=ep.url, llm_model="m", data_dir=tmp_path / "data"), seed=0)
        recorder = RecordingCache(tmp_path / "rec" / "v", mode="record")
        recording = RecordingChatModel(inner=inner, model_label="m", params={}, recorder=recorder)
        recorded = recording.invoke([HumanMessage("写目标")])
    assert recorded.content == answer and len(list((tmp_path / "rec" / "v").glob("*.json"))) == 1
    replaying = RecordingChatModel(inner=None, model_label="m", params={},
                                   recorder=RecordingCache(tmp_path / "rec" / "v", mode="replay"))
    assert replaying.invoke([HumanMessage("写目标")]).content == answer
