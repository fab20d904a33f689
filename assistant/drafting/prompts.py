"""Versioned prompt sets as data: prompts/<version>/manifest.yaml + templates; and the JSON schema a model is asked for.

A prompt set never needs code: the manifest names the templates, the per-section retrieval query, scope line,
required fields, engine-owned fields (omitted from what the model writes) and limits.
"""

from __future__ import annotations

import copy
import hashlib
import re
from functools import lru_cache
from pathlib import Path
from string import Template
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..quantities import format_amount, format_rate
from ..request import PlanRequest
from ..schema import SECTION_KEYS, SECTIONS, Figures
from .templates import OFFLINE_FILE

COMMON_FIELDS = ("citations", "assumptions", "open_questions")


class PromptError(ValueError):
    """A prompt set that cannot be used (missing folder, file or field, unknown key); the message is Chinese."""


# the chain's message templates; "part" (optional) is the task line of one smaller call when a section is
# decomposed after failing twice — a version without it re-asks instead, as v1–v3 did
TEMPLATE_FILES = ("system", "user", "reask", "json_format", "feedback", "context", "part")
REQUIRED_FILES = ("system", "user", "reask", "json_format")


class Parameters(BaseModel):
    """What a prompt version may tune (manifest `parameters:`); typed, and an unknown name is refused."""

    model_config = ConfigDict(extra="forbid")

    k: int = Field(3, ge=0, description="retrieved chunks per section")
    max_chunk_chars: int = Field(220, ge=0, description="each chunk is cut to this many characters")
    max_tokens: int = Field(700, gt=0, description="output budget per call (a section may override)")
    max_list_items: int = Field(6, gt=0, description="JSON-schema maxItems for every list the model writes")
    max_string_chars: int = Field(0, ge=0, description="JSON-schema maxLength per string; 0 = none")
    digest_chars: int = Field(700, ge=0, description="size of the other-sections digest")
    min_chinese_share: float = Field(0.6, ge=0, le=1, description="CJK share below which an answer is not Chinese")
    omit: list[str] = Field(default_factory=lambda: ["assumptions"], description="fields the model does not write")


class SectionManifest(BaseModel):
    """One section's entry in a manifest."""

    model_config = ConfigDict(extra="forbid")

    template: str
    query: str
    scope: str = ""
    required: list[str] = Field(default_factory=list)
    omit: list[str] = Field(default_factory=list)
    min_items: dict[str, int] = Field(default_factory=dict)
    max_items: dict[str, int] = Field(default_factory=dict)
    max_tokens: int | None = Field(None, gt=0)


class Manifest(BaseModel):
    """prompts/<version>/manifest.yaml."""

    model_config = ConfigDict(extra="forbid")

    version: str | None = None
    description: str = ""
    # the model class the version is written for (prompts/classes.yaml picks the current one per class)
    model_class: Literal["small", "strong"] | None = Field(None, alias="class")
    files: dict[Literal[TEMPLATE_FILES], str]  # type: ignore[valid-type]
    parameters: Parameters = Field(default_factory=Parameters)
    sections: dict[str, SectionManifest]


class SectionPrompt(SectionManifest):
    key: str
    title: str


class PromptSet(BaseModel):
    version: str
    description: str = ""
    model_class: str | None = None
    parameters: Parameters
    texts: dict[str, str]
    sections: dict[str, SectionPrompt]

    def param(self, name: str, default: Any = None) -> Any:
        return getattr(self.parameters, name, default)

    def render(self, name: str, **values: Any) -> str:
        """Fill one of the set's templates ($name placeholders); unknown placeholders are an error."""
        try:
            return Template(self.texts[name]).substitute(values).strip()
        except KeyError as exc:
            raise PromptError(f"提示词模板「{name}」缺少参数：{exc}") from None

    def section_text(self, key: str, slots: dict[str, str] | None = None) -> str:
        """A section's instructions; $name slots are filled with the engine's phrases (see drafting.figures.phrases)."""
        try:
            return Template(self.texts[f"section:{key}"]).substitute(slots or {}).strip()
        except (KeyError, ValueError) as exc:
            raise PromptError(f"提示词版本 {self.version} 的「{key}」章节模板含未知占位符：{exc}") from None

    def section_map(self) -> str:
        return "；".join(f"{s.title}（{s.scope}）" for s in self.sections.values() if s.scope)


def load_prompts(prompts_dir: Path, version: str) -> PromptSet:
    folder = Path(prompts_dir) / version
    stamp = tuple(sorted((str(p), p.stat().st_mtime_ns) for p in folder.rglob("*") if p.is_file())) \
        if folder.is_dir() else ()
    return _load(str(folder), stamp)


def version_hash(prompts_dir: Path, version: str) -> tuple[str, int]:
    """Content hash of a prompt version: its folder plus the offline templates (prompts/offline.yaml), whose text
    is every fallback section and the engine's phrases; and how many files went into it."""
    h = hashlib.sha256()
    root = Path(prompts_dir)
    files = sorted(p for p in (root / version).rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    files += [root / OFFLINE_FILE] if (root / OFFLINE_FILE).is_file() else []
    for p in files:
        h.update(str(p.relative_to(root / version) if p.is_relative_to(root / version) else
                     Path("..") / p.relative_to(root)).encode())
        h.update(b"\0")
        h.update(p.read_bytes())
        h.update(b"\0")
    return h.hexdigest()[:16], len(files)


def _problems(exc: ValidationError) -> str:
    """pydantic's errors as short Chinese lines naming the manifest key."""
    lines = []
    for err in exc.errors()[:6]:
        where = ".".join(str(x) for x in err["loc"])
        if err["type"] == "extra_forbidden":
            lines.append(f"未知的键「{where}」")
        elif err["type"] == "missing":
            lines.append(f"缺少「{where}」")
        elif err["type"] == "literal_error" and err["loc"][:1] == ("files",):
            lines.append(f"files 里的模板名「{err['input']}」未知（可用：{'、'.join(TEMPLATE_FILES)}）")
        else:
            lines.append(f"「{where}」取值不合法：{err['msg']}（收到 {str(err.get('input'))[:30]!r}）")
    return "；".join(lines)


@lru_cache(maxsize=8)
def _load(folder_name: str, stamp: tuple) -> PromptSet:
    folder = Path(folder_name)
    manifest_path = folder / "manifest.yaml"
    if not manifest_path.is_file():
        raise PromptError(f"找不到提示词版本「{folder.name}」：{manifest_path} 不存在")
    try:
        data = yaml.safe_load(manifest_path.read_text(encoding="utf-8")) or {}
        manifest = Manifest.model_validate({**data, "parameters": data.get("parameters") or {}}
                                           if isinstance(data, dict) else data)
    except yaml.YAMLError as exc:
        raise PromptError(f"提示词清单 {manifest_path} 不是合法的 YAML：{exc}") from None
    except ValidationError as exc:
        raise PromptError(f"提示词清单 {manifest_path} 有误：{_problems(exc)}") from None

    def read(rel: str) -> str:
        path = folder / rel
        if not path.is_file():
            raise PromptError(f"提示词版本「{folder.name}」缺少文件：{rel}")
        return path.read_text(encoding="utf-8")

    texts = {name: read(rel) for name, rel in manifest.files.items()}
    for needed in REQUIRED_FILES:
        if needed not in texts:
            raise PromptError(f"提示词清单 {manifest_path} 的 files 缺少「{needed}」")
    sections: dict[str, SectionPrompt] = {}
    for key, spec in manifest.sections.items():
        if key not in SECTIONS:
            raise PromptError(f"提示词清单里有未知章节：{key}（可选：{', '.join(SECTION_KEYS)}）")
        sections[key] = SectionPrompt(key=key, title=SECTIONS[key].title, **spec.model_dump())
        texts[f"section:{key}"] = read(spec.template)
    missing = [k for k in SECTION_KEYS if k not in sections]
    if missing:
        raise PromptError(f"提示词版本「{folder.name}」缺少章节：{', '.join(missing)}")
    return PromptSet(version=str(manifest.version or folder.name), description=manifest.description,
                     model_class=manifest.model_class,
                     parameters=manifest.parameters, texts=texts, sections={k: sections[k] for k in SECTION_KEYS})


# ---------------------------------------------------------------- the schema a model is asked to fill


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        if "$ref" in node:
            return _inline(copy.deepcopy(defs[node["$ref"].rsplit("/", 1)[-1]]), defs)
        # class names ("RoleRow") and defaults only cost prompt tokens; Chinese titles help the model
        return {k: _inline(v, defs) for k, v in node.items() if k not in ("default", "$defs")
                and not (k == "title" and isinstance(v, str) and v.isascii())}
    if isinstance(node, list):
        return [_inline(v, defs) for v in node]
    return node


def _drop(schema: dict, path: list[str]) -> None:
    props = schema.get("properties", {})
    if len(path) == 1:
        props.pop(path[0], None)
        schema["required"] = [r for r in schema.get("required", []) if r != path[0]]
        return
    child = props.get(path[0])
    if child is not None:
        _drop(child.get("items", child), path[1:])


def _limit(node: Any, max_items: int, max_chars: int) -> None:
    """Bound every list and string (a runaway guard; llama.cpp turns these into its grammar) and make all
    object properties required (a small model otherwise skips them)."""
    if not isinstance(node, dict):
        return
    kinds = node.get("type")
    if "anyOf" in node:  # Optional[x] -> x (the model should write it; None is still accepted on validation)
        options = [o for o in node.pop("anyOf") if o.get("type") != "null"]
        if len(options) == 1:
            node.update(options[0])
            kinds = node.get("type")
    if kinds == "string" and max_chars and "format" not in node and "enum" not in node and "const" not in node:
        node.setdefault("maxLength", max_chars)
    if kinds == "array":
        node.setdefault("maxItems", max_items)
        _limit(node.get("items"), max_items, max_chars)
    if kinds == "object" or "properties" in node:
        node["required"] = list(node.get("properties", {}))
        for child in node.get("properties", {}).values():
            _limit(child, max_items, max_chars)


def section_schema(prompts: PromptSet, key: str) -> dict[str, Any]:
    """The JSON schema the model fills for one section: the section model minus engine-owned fields, section
    fields first and the common ones (citations, open questions) last, with list/string bounds."""
    spec = prompts.sections[key]
    full = SECTIONS[key].model.model_json_schema()
    schema = _inline({k: v for k, v in full.items() if k != "$defs"}, full.get("$defs", {}))
    for path in [*prompts.param("omit", []), *spec.omit]:
        _drop(schema, path.split("."))
    props = schema["properties"]
    ordered = {k: v for k, v in props.items() if k not in COMMON_FIELDS}
    ordered.update({k: v for k, v in props.items() if k in COMMON_FIELDS})
    schema["properties"] = ordered
    schema.pop("title", None)
    _limit(schema, int(prompts.param("max_list_items", 6)), int(prompts.param("max_string_chars", 0)))
    for field, n in spec.max_items.items():
        if field in ordered:
            ordered[field]["maxItems"] = n
    for field, n in spec.min_items.items():
        if field in ordered:
            ordered[field]["minItems"] = min(n, ordered[field].get("maxItems", n))
    if "citations" in ordered:
        ordered["citations"].update(maxItems=4, items={"type": "string", "maxLength": 8},
                                    description="用到的参考资料编号，如 S1")
    if "open_questions" in ordered:
        ordered["open_questions"]["maxItems"] = 3
    schema["description"] = f"销售工作方案的「{spec.title}」章节"
    return schema


# ---------------------------------------------------------------- the shared blocks (request, figures, sources)

_SPECIAL = re.compile(r"<\|[^|>]{0,40}\|>|</?(system|assistant|user|think)>", re.I)


def sanitize(text: str) -> str:
    """User and retrieved text is data: drop chat-template control tokens and our own 【section】 markers."""
    return _SPECIAL.sub("", str(text)).replace("【", "[").replace("】", "]").strip()


def request_block(req: PlanRequest) -> str:
    def role(r) -> str:
        extra = [] if r.quota_bearing else ["不背指标"]
        if r.new_hires:
            extra.append(f"其中新招{r.new_hires}人" + (f"、{r.hire_month}月到岗" if r.hire_month else "")
                         + f"、爬坡{r.ramp_months}个月")
        return f"{r.role}{r.count}人" + (f"（{'，'.join(extra)}）" if extra else "")

    lines = [f"公司：{req.company}；行业：{req.industry or '未提供'}；产品/服务：{req.product or '未提供'}",
             f"区域：{req.region}；计划周期：{req.period.label}（{req.period.start:%Y-%m-%d}至{req.period.end:%Y-%m-%d}）"]
    if req.team:
        lines.append("团队：" + "、".join(role(r) for r in req.team))
    if req.channels:
        lines.append("渠道：" + "、".join(req.channels))
    if req.competitors:
        lines.append("竞争对手：" + "、".join(req.competitors))
    if req.notes:
        lines.append(f"备注：{req.notes}")
    return sanitize("\n".join(lines))


def figures_block(fig: Figures) -> str:
    amt = lambda v: format_amount(v, fig.unit)  # noqa: E731
    rate = format_rate
    head = f"销售额目标{amt(fig.revenue_target)}"
    if fig.baseline_revenue is not None:
        head += f"（上期{amt(fig.baseline_revenue)}" + (f"，增长{rate(fig.growth_rate)}）" if fig.growth_rate is not None
                                                       else "）")
    head += f"；回款目标{amt(fig.collection_target)}（回款率{rate(fig.collection_rate)}）"
    if fig.new_customers is not None:
        head += f"；新客户{fig.new_customers}家"
    if fig.repurchase_rate is not None:
        head += f"；老客户复购率{rate(fig.repurchase_rate)}"
    # months and personal quotas are tables the engine renders; the prose only needs the quarters
    lines = [head, "季度目标：" + "；".join(f"{q.label} {amt(q.amount)}" for q in fig.quarters)]
    lines += [
        "漏斗：" + " → ".join(f"{s.name}{s.count}" for s in fig.funnel)
        + f"；客单价{amt(fig.avg_deal_size)}，赢单率{rate(fig.win_rate)}，需成交{fig.deals}单、商机{fig.opportunities}个",
        f"销售周期{fig.sales_cycle_days}天，新{fig.funnel[0].name}最晚进入日期{fig.last_opportunity_date:%Y-%m-%d}；"
        f"管道覆盖{fig.pipeline_coverage:g}倍，所需管道金额{amt(fig.pipeline_value)}",
        "每周活动量：" + "；".join(f"{a.activity}每人{a.per_rep_per_week:g}次（团队{a.team_per_week:g}次）"
                                for a in fig.weekly_activities),
        f"产能：销售{fig.headcount}人，人均月产能{amt(fig.capacity_per_rep_month)}，团队产能{amt(fig.team_capacity)}，"
        + (f"缺口{amt(fig.capacity_gap)}，需增加{fig.headcount_gap}人" if fig.capacity_gap > 0 else "可覆盖目标"),
        f"预算{amt(fig.budget_total)}（费用率{rate(fig.expense_ratio)}）："
        + "；".join(f"{b.item} {amt(b.amount)}（{rate(b.share)}）" for b in fig.budget_lines),
    ]
    # what the playbook work adds: hires, the part that needs existing pipeline, splits by region/product/channel
    if fig.hiring:
        lines.append("招聘：" + "；".join(f"{h.start_month}到岗{h.role}{h.count}人（期内新增产能{amt(h.capacity)}）"
                                         for h in fig.hiring)
                     + (f"；招聘后仍缺{amt(fig.capacity_gap_after_hiring)}" if fig.capacity_gap_after_hiring else ""))
    if fig.pipeline_need:
        n = fig.pipeline_need
        lines.append(f"期初储备：{n.months[0]}起{len(n.months)}个月的{amt(n.amount)}（占{rate(n.share)}）须来自期初已有储备，"
                     f"对应管道{amt(n.pipeline_value)}")
    for label, rows in (("区域", fig.regions), ("产品", fig.products)):
        if rows:
            lines.append(f"{label}目标：" + "；".join(f"{r.name} {amt(r.amount)}（{rate(r.share)}）" for r in rows))
    if fig.channels:
        lines.append("渠道：" + "；".join(
            f"{c.channel} " + (f"{amt(c.amount)}（{rate(c.share)}）" if c.amount is not None else "")
            + (f"线索{c.leads}条" if c.leads else "") for c in fig.channels))
    return "\n".join(lines)


def sources_block(chunks: list[Any], max_chars: int) -> str:
    if not chunks:
        return "（无）"
    out = []
    for i, chunk in enumerate(chunks, start=1):
        text = sanitize(chunk.text).replace("\n", " ")
        if len(text) > max_chars:  # cut at a sentence end, never with "…" (a small model copies the ellipsis)
            cut = text[:max_chars]
            end = max(cut.rfind(c) for c in "。；！？")
            text = cut[:end + 1] if end >= max_chars // 2 else cut
        out.append(f"[S{i}]《{sanitize(chunk.title)}》{text}")
    return "\n".join(out)
