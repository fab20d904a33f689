"""Build the calibration DOCX plans from small specs (python-docx).

    .venv/bin/python evals/calibration/tools/make_docx.py evals/calibration/plans

A spec is a list of blocks: ("title", text) | ("h1", text) | ("h2", text) | ("p", text) | ("li", text)
| ("bold", text)  (a paragraph that is all bold: a heading written by hand) | ("table", [header, row, ...]).
"""

from __future__ import annotations

import sys
from pathlib import Path

from docx import Document
from docx.oxml.ns import qn
from docx.shared import Pt
from docx_specs import SPECS


def build(spec: list[tuple], path: Path) -> None:
    doc = Document()
    normal = doc.styles["Normal"]
    normal.font.name = "SimSun"
    normal.font.size = Pt(11)
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")
    for kind, body in spec:
        if kind == "title":
            doc.add_heading(body, level=0)
        elif kind == "h1":
            doc.add_heading(body, level=1)
        elif kind == "h2":
            doc.add_heading(body, level=2)
        elif kind == "p":
            doc.add_paragraph(body)
        elif kind == "li":
            doc.add_paragraph(body, style="List Bullet")
        elif kind == "bold":
            para = doc.add_paragraph()
            para.add_run(body).bold = True
        elif kind == "table":
            header, *rows = body
            table = doc.add_table(rows=1 + len(rows), cols=len(header))
            table.style = "Table Grid"
            for r, values in enumerate([header, *rows]):
                for c, value in enumerate(values):
                    table.cell(r, c).text = str(value)
        else:
            raise ValueError(kind)
    doc.save(path)


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    for name, spec in SPECS.items():
        build(spec, out / name)
        print(out / name)


if __name__ == "__main__":
    main()
