"""The Word side of a work summary: a docxtpl template (the one the app ships, or an office's own
upload, both editable in Word) filled with the figures, charts and text sections.

The shipped template is `templates/reports/summary_template.docx`; `build_default_template`
writes it (python-docx, East-Asian font 宋体 set on every style it uses) and a test checks the
shipped file is what it writes. Tags an office may use in its own template:
`{{ title }}`, `{{ unit_name }}`, `{{ period_title }}`, `{{ figures_paragraph }}`, the rows of
`figures` (each `label`, `value`), `{{ chart_monthly }}` (an image), the `sections` (each
`title` and `paragraphs`), `{{ signed }}`, `{{ date }}`.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from gridgov.core.errors import DomainError

DEFAULT_TEMPLATE = Path(__file__).parent / "templates" / "reports" / "summary_template.docx"
EAST_ASIAN_FONT = "宋体"
HEADING_FONT = "黑体"
MAX_TEMPLATE_BYTES = 5 * 1024 * 1024


def _set_fonts(style: Any, east_asian: str, latin: str = "Times New Roman") -> None:
    from docx.oxml.ns import qn

    style.font.name = latin
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(fonts)
    fonts.set(qn("w:eastAsia"), east_asian)
    fonts.set(qn("w:ascii"), latin)
    fonts.set(qn("w:hAnsi"), latin)


def build_default_template() -> bytes:
    """The shipped template, made with python-docx (run `gridgov summary --write-template F`)."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    doc = Document()
    styles = doc.styles
    normal = styles["Normal"]
    _set_fonts(normal, EAST_ASIAN_FONT)
    normal.font.size = Pt(14)  # 四号, the usual size of a government summary's body
    normal.paragraph_format.first_line_indent = Pt(28)
    normal.paragraph_format.line_spacing = 1.5
    for name in ("Title", "Heading 1", "Heading 2", "Table Grid", "Caption"):
        style = styles[name]
        _set_fonts(style, EAST_ASIAN_FONT)
    for name in ("Title", "Heading 1", "Heading 2"):
        styles[name].font.bold = True
        styles[name].paragraph_format.first_line_indent = Pt(0)
    styles["Title"].font.size = Pt(22)
    styles["Heading 1"].font.size = Pt(16)

    title = doc.add_paragraph("{{ title }}", style="Title")
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    sub = doc.add_paragraph("{{ unit_name }}  {{ period_title }}")
    sub.alignment = WD_ALIGN_PARAGRAPH.CENTER
    sub.paragraph_format.first_line_indent = Pt(0)

    doc.add_paragraph(_("一、主要数据"), style="Heading 1")
    doc.add_paragraph("{{ figures_paragraph }}")
    table = doc.add_table(rows=4, cols=2, style="Table Grid")
    table.cell(0, 0).text = _("指标")
    table.cell(0, 1).text = _("数值")
    table.cell(1, 0).text = "{%tr for row in figures %}"
    table.cell(2, 0).text = "{{ row.label }}"
    table.cell(2, 1).text = "{{ row.value }}"
    table.cell(3, 0).text = "{%tr endfor %}"
    chart = doc.add_paragraph("{{ chart_monthly }}")
    chart.alignment = WD_ALIGN_PARAGRAPH.CENTER
    chart.paragraph_format.first_line_indent = Pt(0)

    doc.add_paragraph("{%p for s in sections %}")
    doc.add_paragraph("{{ s.title }}", style="Heading 1")
    doc.add_paragraph("{%p for para in s.paragraphs %}")
    doc.add_paragraph("{{ para }}")
    doc.add_paragraph("{%p endfor %}")
    doc.add_paragraph("{%p endfor %}")

    signed = doc.add_paragraph("{{ signed }}")
    signed.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    date = doc.add_paragraph("{{ date }}")
    date.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def check_template(content: bytes) -> None:
    """Refuse what is not a .docx the renderer can fill (a form error, never a 500)."""
    if len(content) > MAX_TEMPLATE_BYTES:
        raise DomainError(_("模板文件过大(上限 5 MB)"), field="file")
    if not zipfile.is_zipfile(io.BytesIO(content)):
        raise DomainError(_("模板不是 Word(.docx)文件"), field="file")
    try:
        render_docx(sample_context(), content, image=None)
    except DomainError:
        raise
    except Exception as exc:
        raise DomainError(_("模板无法使用:%(error)s") % {"error": exc}, field="file") from exc


def sample_context() -> dict[str, Any]:
    return {
        "title": _("工作总结"),
        "unit_name": "",
        "period_title": "",
        "figures_paragraph": "",
        "figures": [{"label": _("结案率"), "value": "—"}],
        "sections": [{"title": "", "paragraphs": [""]}],
        "signed": "",
        "date": "",
    }


def render_docx(context: dict[str, Any], template: bytes | None, *, image: bytes | None) -> bytes:
    """Fill `template` (the shipped one when None); `image` becomes `chart_monthly`."""
    from docx.shared import Mm
    from docxtpl import DocxTemplate, InlineImage

    source = template if template is not None else DEFAULT_TEMPLATE.read_bytes()
    try:
        tpl = DocxTemplate(io.BytesIO(source))
    except Exception as exc:
        raise DomainError(_("模板不是 Word(.docx)文件"), field="file") from exc
    values = dict(context)
    values["chart_monthly"] = (
        InlineImage(tpl, io.BytesIO(image), width=Mm(150)) if image is not None else ""
    )
    tpl.render(values, autoescape=True)
    out = io.BytesIO()
    tpl.save(out)
    return out.getvalue()
