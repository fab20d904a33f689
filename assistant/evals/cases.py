"""Eval cases: one YAML file per plan request under evals/cases/, with a stable id, tags and assertions.

A file with unknown keys or a broken request is reported (file + field, in Chinese) and skipped; the other cases
still run. Free-text cases (`text:` instead of `request:`) go through the rule-based intake or the LLM extractor.
"""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..request import REQUIRED_FIELDS, PlanRequest, RequestError, build_request, friendly_errors
from ..schema import SECTION_KEYS

ID_PATTERN = r"^[a-z0-9][a-z0-9_\-]{1,80}$"


class _Check(BaseModel):
    """What every assertion has. `critical` items are hard gates: their pass rate must stay at or above `floor`."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=ID_PATTERN)
    desc: str = Field(min_length=1, description="shown to people, in Chinese")
    critical: bool = False
    floor: float | None = Field(default=None, ge=0, le=1, description="minimum pass rate (critical items)")
    sections: list[str] = Field(default_factory=list, description="section keys to look in; empty = whole plan")

    @model_validator(mode="after")
    def _known_sections(self):
        unknown = [s for s in self.sections if s not in SECTION_KEYS]
        if unknown:
            raise ValueError(f"sections: 未知章节 {unknown}，可用：{', '.join(SECTION_KEYS)}")
        return self


class Mentions(_Check):
    kind: Literal["mentions"]
    terms: list[str] = Field(min_length=1)
    mode: Literal["any", "all"] = "any"


class NotMentions(_Check):
    kind: Literal["not_mentions"]
    terms: list[str] = Field(min_length=1)


class Regex(_Check):
    kind: Literal["regex"]
    pattern: str
    expect: Literal["match", "no_match"] = "match"


class NoEnglish(_Check):
    kind: Literal["no_english"]
    min_words: int = Field(default=4, ge=2, description="this many Latin words in a row make an English sentence")
    allow: list[str] = Field(default_factory=list, description="Latin terms that are fine (CRM, KPI, SaaS...)")


class AsksAbout(_Check):
    kind: Literal["asks_about"]
    terms: list[str] = Field(min_length=1)


class BudgetTotal(_Check):
    kind: Literal["budget_total"]
    amount: str | float


class QuotesFigure(_Check):
    kind: Literal["quotes_figure"]
    figure: Literal["revenue_target", "collection_target", "budget_total", "deals", "opportunities", "headcount",
                    "new_customers"]


Assertion = Annotated[Mentions | NotMentions | Regex | NoEnglish | AsksAbout | BudgetTotal | QuotesFigure,
                      Field(discriminator="kind")]
ASSERTION_KINDS = ("mentions", "not_mentions", "regex", "no_english", "asks_about", "budget_total", "quotes_figure")


class Expect(BaseModel):
    """What the plan must honour, written by hand from the request (evals/bench_playbooks.py checks it)."""

    model_config = ConfigDict(extra="forbid")
    playbook: str | None = None  # the playbook a reader would pick for this business
    month_shares: dict[str, float] = Field(default_factory=dict)  # "6-8": 0.40 -> share of the plan's target
    peak_month: int | None = Field(default=None, ge=1, le=12)  # the month the user called the heaviest
    team_kept: dict[str, int] = Field(default_factory=dict)  # role -> the count the user gave
    subregions: list[str] = Field(default_factory=list)  # each gets its own line
    products: list[str] = Field(default_factory=list)  # each gets its own line
    lead_sources: list[str] = Field(default_factory=list)  # planned in leads, never in revenue


class CaseFile(BaseModel):
    """The YAML file as written."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=ID_PATTERN)
    title: str = Field(min_length=1)
    tags: list[str] = Field(default_factory=list)
    request: dict[str, Any] | None = None
    text: str | None = Field(default=None, description="free text only: the request is extracted from it")
    extractor: Literal["rules", "llm"] = "rules"
    today: date | None = Field(default=None, description="fixes relative dates (明年) in free text")
    assertions: list[Assertion] = Field(default_factory=list)
    expect: Expect | None = None

    @model_validator(mode="after")
    def _one_source(self):
        if (self.request is None) == (self.text is None):
            raise ValueError("request/text: 需要且只能提供其中一个（request 为结构化请求，text 为一段自由描述）")
        ids = [a.id for a in self.assertions]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"assertions: 断言编号重复：{dupes}")
        return self


class EvalCase(BaseModel):
    """A loaded case: the file plus its resolved request (None until an LLM extractor has run)."""

    file: CaseFile
    path: str
    request: PlanRequest | None = None
    sha: str

    @property
    def id(self) -> str:
        return self.file.id


class CaseError(BaseModel):
    path: str
    problems: list[str]

    def message(self) -> str:
        return f"评测用例「{self.path}」有问题：" + "；".join(self.problems)


def _pydantic_problems(exc: ValidationError) -> list[str]:
    lines = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"] if not str(p).startswith("function-"))
        if err["type"] == "extra_forbidden":
            lines.append(f"字段 {loc}：未知字段（请检查拼写）")
        elif err["type"] == "union_tag_invalid":
            lines.append(f"字段 {loc}：未知断言类型 {err.get('input', {}).get('kind')!r}，可用：{', '.join(ASSERTION_KINDS)}")
        elif err["type"] == "missing":
            lines.append(f"字段 {loc}：缺少必填字段")
        else:
            msg = str(err.get("ctx", {}).get("error") or err["msg"]).removeprefix("Value error, ")
            lines.append(f"字段 {loc}：{msg}" if loc else msg)
    return lines


def resolve_request(cf: CaseFile, extract=None) -> PlanRequest:
    """The case's PlanRequest; free text goes through `extract(text) -> fields` (rule-based intake by default)."""
    if cf.request is not None:
        return build_request(cf.request, "request")
    if extract is None:
        from ..intake.rule_reader import extract_fields

        result = extract_fields(cf.text or "", today=cf.today)
        fields, missing = result.fields, result.missing
    else:
        fields = extract(cf.text or "")
        missing = [f for f in REQUIRED_FIELDS if not fields.get(f)]
    if missing:
        raise RequestError([f"自由描述里缺少必填信息：{', '.join(missing)}"], "text")
    return build_request(fields, "text")


def load_case(path: Path) -> EvalCase:
    """One case file; raises CaseError naming the file and field."""
    raw = path.read_bytes()
    sha = hashlib.sha256(raw).hexdigest()
    try:
        data = yaml.safe_load(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise _case_error(path, [f"不是合法的 UTF-8 YAML：{exc}"]) from None
    if not isinstance(data, dict):
        raise _case_error(path, ["内容应为键值对（YAML 映射）"])
    try:
        cf = CaseFile.model_validate(data)
    except ValidationError as exc:
        raise _case_error(path, _pydantic_problems(exc)) from None
    if path.stem != cf.id:
        raise _case_error(path, [f"字段 id：应与文件名一致（{path.stem}），收到 {cf.id}"])
    request = None
    if cf.extractor == "rules" or cf.request is not None:
        try:
            request = resolve_request(cf)
        except RequestError as exc:
            where = "request" if cf.request is not None else "text"
            raise _case_error(path, [f"{where} → {p}" for p in exc.problems]) from None
        except ValidationError as exc:
            raise _case_error(path, [f"request → {p}" for p in friendly_errors(exc)]) from None
    return EvalCase(file=cf, path=str(path), request=request, sha=sha)


class CaseLoadError(Exception):
    def __init__(self, error: CaseError):
        self.error = error
        super().__init__(error.message())


def _case_error(path: Path, problems: list[str]) -> CaseLoadError:
    return CaseLoadError(CaseError(path=str(path), problems=problems))


def load_cases(folder: Path, only: list[str] | None = None) -> tuple[list[EvalCase], list[CaseError]]:
    """Every *.yaml/*.yml case in `folder` (sorted by id); broken files come back as errors, not exceptions."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"找不到评测用例目录：{folder}")
    cases: list[EvalCase] = []
    errors: list[CaseError] = []
    seen: dict[str, str] = {}
    for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
        try:
            case = load_case(path)
        except CaseLoadError as exc:
            errors.append(exc.error)
            continue
        if case.id in seen:
            errors.append(CaseError(path=str(path), problems=[f"字段 id：与 {seen[case.id]} 重复"]))
            continue
        seen[case.id] = str(path)
        cases.append(case)
    if only:
        wanted = set(only)
        unknown = wanted - {c.id for c in cases}
        errors += [CaseError(path=str(folder), problems=[f"没有编号为 {u} 的用例"]) for u in sorted(unknown)]
        cases = [c for c in cases if c.id in wanted]
    return sorted(cases, key=lambda c: c.id), errors


def case_set_hash(cases: list[EvalCase]) -> str:
    h = hashlib.sha256()
    for c in sorted(cases, key=lambda c: c.id):
        h.update(f"{c.id}:{c.sha}\n".encode())
    return h.hexdigest()[:16]
