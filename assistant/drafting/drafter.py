"""One drafting interface, two implementations, chosen once from the settings.

    drafter = make_drafter(settings)            # ModelDrafter when a model is configured (and not --offline)
    plan = drafter.draft(request, figures, progress=show)
    plan = drafter.redraft(plan, {"swot": ["优势与劣势重复"]}, progress=show)

`pipeline.draft_plan` runs a drafter; the CLI, the UI handlers, batch, revision and evals all hand it theirs and
never test the settings again: `drafter.uses_model` says which one it is, `drafter.label` what to show, `drafter.key`
what produced a plan (batch's completeness key).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any, Protocol

from ..config import Settings
from ..request import PlanRequest
from ..schema import Figures, Progress, SalesPlan, SectionBase

if TYPE_CHECKING:  # LangChain is imported by the model chain only
    from langchain_core.language_models import BaseChatModel

Feedback = dict[str, list[str]]  # section key -> what to fix (validator findings, or a user's instruction)


class Drafter(Protocol):
    uses_model: bool

    @property
    def key(self) -> str: ...

    @property
    def label(self) -> str: ...

    def draft(self, request: PlanRequest, figures: Figures, *, progress: Progress | None = None) -> SalesPlan: ...

    def redraft(self, plan: SalesPlan, feedback: Feedback, *, progress: Progress | None = None) -> SalesPlan: ...


class OfflineDrafter:
    """The deterministic drafter: no key, no network. Its redraft repairs what the numbers engine can fix and
    turns the rest into open questions."""

    uses_model = False
    key = "offline"
    label = "离线起草器"

    def draft(self, request: PlanRequest, figures: Figures, *, progress: Progress | None = None) -> SalesPlan:
        from .offline import draft_offline

        return draft_offline(request, figures, progress=progress)

    def redraft(self, plan: SalesPlan, feedback: Feedback, *, progress: Progress | None = None) -> SalesPlan:
        from .offline import redraft_offline

        return redraft_offline(plan, feedback)


class ModelDrafter:
    """The section chain on a chat model: the configured endpoint, or an injected `llm` (evals, tests).

    `kb` defaults to the settings' knowledge base (built-in notes indexed before each draft), plus the uploads of
    `owner` when given (a UI user's own collection, retrieval.personal); `sections` limits which
    sections the model drafts and redrafts (the rest stay offline); `use_cache=False` skips the response cache."""

    uses_model = True

    def __init__(self, settings: Settings, *, kb: Any = None, llm: BaseChatModel | None = None,
                 use_cache: bool = True, sections: list[str] | None = None, owner: str | None = None):
        self.settings, self.llm, self.use_cache, self.sections = settings, llm, use_cache, sections
        self._kb, self.owner = kb, owner
        # per (request, figures): the offline drafter's sections (a plan's redraft reuses its draft's skeletons) and
        # the plan's time budget (its repair round spends what the draft left)
        self._offline: OrderedDict[str, dict[str, SectionBase]] = OrderedDict()
        self._clocks: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def key(self) -> str:
        return f"{self.settings.llm_model}@{self.settings.prompt_version}"

    @property
    def label(self) -> str:
        return self.settings.endpoint_label() if self.llm is None else type(self.llm).__name__

    def _offline_sections(self, request: PlanRequest, figures: Figures) -> dict[str, SectionBase]:
        return self._remembered(self._offline, request, figures, dict)

    def _clock(self, request: PlanRequest, figures: Figures, *, fresh: bool) -> Any:
        from .pace import PlanClock

        if fresh:
            with self._lock:
                self._clocks.pop(self._digest(request, figures), None)
        return self._remembered(self._clocks, request, figures, lambda: PlanClock(self.settings, _profile(self)))

    @staticmethod
    def _digest(request: PlanRequest, figures: Figures) -> str:
        return hashlib.sha256((request.model_dump_json() + figures.model_dump_json()).encode()).hexdigest()

    def _remembered(self, store: OrderedDict, request: PlanRequest, figures: Figures, make) -> Any:
        digest = self._digest(request, figures)
        with self._lock:
            found = store.pop(digest, None)
            store[digest] = found = make() if found is None else found
            while len(store) > 8:  # a UI session or a batch keeps a few plans' state, not all
                store.popitem(last=False)
            return found

    def _knowledge_base(self, *, fresh: bool) -> Any:
        if self._kb is not None:
            return self._kb
        from ..retrieval import get_knowledge_base

        kb = get_knowledge_base(self.settings)
        if fresh:
            kb.ensure_builtin()
        if self.owner is not None:
            from ..retrieval.personal import CombinedKnowledge, personal_knowledge_base

            return CombinedKnowledge(kb, personal_knowledge_base(self.settings, self.owner))
        return kb

    def draft(self, request: PlanRequest, figures: Figures, *, progress: Progress | None = None) -> SalesPlan:
        from .chain import draft_sections

        return draft_sections(request, figures, settings=self.settings, kb=self._knowledge_base(fresh=True),
                              progress=progress, use_cache=self.use_cache, sections=self.sections, llm=self.llm,
                              offline_sections=self._offline_sections(request, figures),
                              clock=self._clock(request, figures, fresh=True))

    def redraft(self, plan: SalesPlan, feedback: Feedback, *, progress: Progress | None = None) -> SalesPlan:
        from .chain import redraft_sections

        if self.sections is not None:
            feedback = {k: v for k, v in feedback.items() if k in self.sections}
        return redraft_sections(plan, feedback, settings=self.settings, kb=self._knowledge_base(fresh=False),
                                progress=progress, use_cache=self.use_cache, llm=self.llm,
                                offline_sections=self._offline_sections(plan.request, plan.figures),
                                clock=self._clock(plan.request, plan.figures, fresh=False))


def _profile(drafter: ModelDrafter) -> Any:
    """What the model memory knows about this drafter's model (its measured speed sizes the plan's reserves)."""
    from pathlib import Path

    from .endpoint import ModelMemory
    from .llm import model_id

    return ModelMemory(Path(drafter.settings.data_dir) / "llm_methods.json").get(
        model_id(drafter.settings, drafter.llm, drafter.llm is None and drafter.settings.llm_configured))


def make_drafter(settings: Settings, *, offline: bool = False, use_cache: bool = True,
                 owner: str | None = None) -> Drafter:
    """The one place that decides whether a model drafts: a configured model, unless offline is asked for.
    `owner`: a UI user whose uploaded documents the model may cite besides the company knowledge."""
    if offline or not settings.llm_configured:
        return OfflineDrafter()
    return ModelDrafter(settings, use_cache=use_cache, owner=owner)
