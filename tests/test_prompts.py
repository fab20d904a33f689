"""Prompt versions are data with a strict shape: a manifest with an unknown or mistyped key is refused with a
Chinese message before any model call; every template, prompt or offline, uses one syntax ($name); a version's
hash covers the offline texts its fallbacks and phrases come from."""

from __future__ import annotations

import re
import shutil
from string import Template

import pytest
import yaml

from assistant.config import Settings
from assistant.drafting.prompts import PromptError, load_prompts, version_hash
from assistant.drafting.templates import templates

VERSIONS = sorted(p.name for p in Settings().prompts_dir.glob("v*") if p.is_dir())


@pytest.fixture
def prompts_copy(tmp_path):
    root = tmp_path / "prompts"
    shutil.copytree(Settings().prompts_dir, root)
    return root


def edit_manifest(root, version, change) -> None:
    path = root / version / "manifest.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


@pytest.mark.parametrize("version", VERSIONS)
def test_every_committed_version_loads_with_typed_parameters(version):
    prompts = load_prompts(Settings().prompts_dir, version)
    assert isinstance(prompts.param("k"), int) and 0 < prompts.param("min_chinese_share") <= 1
    assert prompts.param("omit") and len(prompts.sections) == 16


@pytest.mark.parametrize("change, named", [
    (lambda d: d.update(temprature=0.2), "temprature"),                                  # a typo at the top
    (lambda d: d["parameters"].update(max_chunk=300), "parameters.max_chunk"),           # an unknown parameter
    (lambda d: d["sections"]["swot"].update(min_item={"strengths": 2}), "sections.swot.min_item"),
])
def test_an_unknown_key_is_refused_by_name(prompts_copy, change, named):
    edit_manifest(prompts_copy, "v1", change)
    with pytest.raises(PromptError, match=re.escape(f"未知的键「{named}」")):
        load_prompts(prompts_copy, "v1")


def test_a_mistyped_parameter_and_an_unknown_template_name_are_refused(prompts_copy):
    edit_manifest(prompts_copy, "v1", lambda d: d["parameters"].update(k="三个"))
    with pytest.raises(PromptError, match="「parameters.k」取值不合法"):
        load_prompts(prompts_copy, "v1")
    edit_manifest(prompts_copy, "v1", lambda d: (d["parameters"].update(k=3), d["files"].update(sytem="system.md")))
    with pytest.raises(PromptError, match="模板名「sytem」未知"):
        load_prompts(prompts_copy, "v1")


def test_one_template_syntax_everywhere_dollar_names_and_no_format_braces():
    def strings(node):
        if isinstance(node, str):
            yield node
        elif isinstance(node, dict):
            for v in node.values():
                yield from strings(v)
        elif isinstance(node, list):
            for v in node:
                yield from strings(v)

    texts = list(strings(templates()))
    for version in VERSIONS:
        texts += load_prompts(Settings().prompts_dir, version).texts.values()
    for text in texts:
        assert Template(text).is_valid(), text[:60]
        assert not re.search(r"\{[a-z_]+\}", text), text[:60]


def test_the_version_hash_covers_the_offline_templates(prompts_copy):
    before = version_hash(prompts_copy, "v1")
    path = prompts_copy / "offline.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("回款目标", "回款任务"), encoding="utf-8")
    after = version_hash(prompts_copy, "v1")
    assert before[0] != after[0] and before[1] == after[1]
