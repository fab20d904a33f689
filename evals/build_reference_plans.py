"""Rebuild the validator's reference set: the offline drafter's plan for every eval case that has a request block.

    .venv/bin/python evals/build_reference_plans.py

The validator calls a sentence boilerplate when most of it (after masking numbers) also appears in plans drafted
for at least three other businesses (assistant/validation/substance.py). Those plans are these files, written as the
drafter writes them today; rebuild them whenever the offline drafter or its templates change, and commit the result.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assistant.drafting.offline import draft_offline  # noqa: E402
from assistant.render import to_markdown  # noqa: E402
from assistant.request import build_request  # noqa: E402
from assistant.validation.reference import GROUP_SEP, REFERENCE_DIR  # noqa: E402


def main() -> None:
    REFERENCE_DIR.mkdir(parents=True, exist_ok=True)
    written = []
    for case in sorted((ROOT / "evals" / "cases").glob("*.yaml")):
        data = yaml.safe_load(case.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or "request" not in data:
            continue
        plan = draft_offline(build_request(data["request"]))
        # named by the industry playbook the drafter chose: wording shared inside one industry is that industry's
        out = REFERENCE_DIR / f"{plan.figures.playbook_id}{GROUP_SEP}{data.get('id', case.stem)}.txt"
        out.write_text(to_markdown(plan), encoding="utf-8")
        written.append(out.name)
    for stale in REFERENCE_DIR.glob("*.txt"):
        if stale.name not in written:
            stale.unlink()
    print(f"{len(written)} reference plans in {REFERENCE_DIR.relative_to(ROOT)}: {', '.join(written)}")


if __name__ == "__main__":
    main()
