"""Evals: cases × prompt versions × repeats → the real drafting chain → validator + case assertions (+ judge)
→ a paired, statistically honest A/B report that can gate CI.

Modules, in the order data flows:
  cases      load evals/cases/*.yaml (a broken file is reported, the others run)
  recording  content-hash cache of every model call; record / replay / live modes
  runner     plan the work, estimate cost, draft, score, resume; writes the run under evals/reports/<run-id>/
  checks     the case assertions (deterministic)
  judge      optional LLM rubric and pairwise judge, reported apart from the deterministic score
  stats      paired bootstrap, wins/ties/losses, pass^N, flip rate
  compare    the documented regression gate (exit 100) and --bless
  report     JSON, Markdown, HTML and JUnit XML writers
"""
