"""Charts drawn from the numbers engine's figures, for the UI preview, the DOCX and the Markdown export."""

from .draw import Chart, plan_charts, regions_chart

__all__ = ["Chart", "plan_charts", "regions_chart"]
