"""One amount reads the same everywhere a run writes it: the report's Markdown,
HTML and LaTeX tables, the mix chart's bar figures and the workbook's cells as a
spreadsheet shows them (their number formats applied by a small evaluator of
Excel's format grammar written here, not by the code that wrote them)."""

from __future__ import annotations

import html
import re
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from tests.clirun import invoke

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "configs" / "pakistan_it_exports.yaml"
THREE = ROOT / "configs" / "pakistan_it_exports_3yr.yaml"


def excel_shows(value: float, fmt: str) -> str:
    """What Excel shows for ``value`` under number format ``fmt``: sections split on
    ``;`` (positive; negative; zero), quoted literals, ``#,##0.00`` digits with a
    thousands separator, each comma after the digits dividing by 1,000, ``%``
    multiplying by 100; the figure rounded half away from zero."""
    sections = re.findall(r'(?:"[^"]*"|[^;])+', fmt)
    if value == 0 and len(sections) >= 3:
        part, value = sections[2], 0.0
    elif value < 0 and len(sections) >= 2:
        part, value = sections[1], -value
    else:
        part = sections[0]
    out, i = "", 0
    while i < len(part):
        if part[i] == '"':
            end = part.index('"', i + 1)
            out += part[i + 1:end]
            i = end + 1
            continue
        digits = re.match(r"[#0,]*0(\.0+)?,*%?", part[i:])
        if digits and digits.group(0):
            spec = digits.group(0)
            body = spec.rstrip("%").rstrip(",")
            divide = 1000 ** (len(spec.rstrip("%")) - len(body))
            decimals = len(digits.group(1) or ".") - 1
            figure = Decimal(repr(value)) / divide * (100 if spec.endswith("%") else 1)
            shown = figure.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
            out += f"{shown:,.{decimals}f}" if "," in body else f"{shown:.{decimals}f}"
            out += "%" if spec.endswith("%") else ""
            i += len(spec)
            continue
        out += part[i]
        i += 1
    return out


def test_the_evaluator_reads_excel_formats_as_excel_does() -> None:
    assert excel_shows(350877.19, '"$"#,##0.0,,"M";-"$"#,##0.0,,"M";"–"') == "$0.4M"
    assert excel_shows(1.25e9, '"$"#,##0.00,,,"B"') == "$1.25B"
    assert excel_shows(-2e6, '"$"#,##0,,"M";-"$"#,##0,,"M";"–"') == "-$2M"
    assert excel_shows(0, '"$"#,##0,,"M";-"$"#,##0,,"M";"–"') == "–"
    assert excel_shows(100000, '"Rs "#,##0') == "Rs 100,000"
    assert excel_shows(0.4595, "0.0%") == "46.0%"


def _report(folder: Path, config: Path) -> Path:
    code, _, err = invoke("report", "--config", config, "--confidences", "none",
                          "--output", folder)
    assert code == 0, err
    return folder


def _markdown_rows(text: str, title: str) -> dict[str, list[str]]:
    """The body of the Markdown table under heading ``title``: lever -> cells."""
    # up to the next heading of any level (the brief puts the allocation under ###)
    block = text.split(f"## {title}\n", 1)[1].split("\n#", 1)[0]
    rows = {}
    for line in block.splitlines():
        if line.startswith("| ") and not line.startswith("| lever") and "---" not in line:
            cells = [c.strip().strip("*") for c in line.strip("|").split("|")]
            rows[cells[0]] = cells
    return rows


@pytest.mark.parametrize("config", [SHIPPED, THREE], ids=["one-year", "three-year"])
def test_each_levers_spend_and_exports_read_the_same_in_every_output(
        tmp_path: Path, config: Path) -> None:
    from openpyxl import load_workbook

    folder = _report(tmp_path / "memo", config)
    md = _markdown_rows((folder / "report.md").read_text(), "Allocation")
    assert len(md) >= 4
    page = html.unescape((folder / "report.html").read_text())
    tex = (folder / "tables.tex").read_text()
    svg = html.unescape((folder / "charts" / "mix.svg").read_text())
    sheet = load_workbook(folder / "report.xlsx")["Allocation"]
    header = [c.value for c in sheet[1]]
    spend_col = next(i for i, h in enumerate(header) if str(h).startswith("spend"))
    exports_col = next(i for i, h in enumerate(header) if str(h).startswith("exports"))
    workbook = {row[0].value: row for row in sheet.iter_rows(min_row=2) if row[0].value}
    checked = 0
    for lever, cells in md.items():
        spend, exports = cells[3], cells[4]
        # the HTML row and the LaTeX row of the lever hold the same two figures
        row = re.search(r"<tr[^>]*>(?:(?!</tr>).)*?" + re.escape(lever)
                        + r"(?:(?!</tr>).)*</tr>", page, re.S)
        assert row is not None, lever
        cells_html = [re.sub(r"<[^>]+>", "", c).strip()
                      for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row.group(0), re.S)]
        assert cells_html[3:5] == [spend, exports], (lever, cells_html)
        tex_row = next(line for line in tex.splitlines()
                       if line.removeprefix("\\textbf{").startswith(_tex(lever) + " &"))
        tex_cells = [c.strip() for c in tex_row.rstrip("\\ ").split("&")]
        assert [_untex(c) for c in tex_cells[3:5]] == [spend, exports], (lever, tex_cells)
        # the workbook keeps the exact figure and shows the memo's
        if lever != "total":
            cells_xl = workbook[lever]
            for col, text in ((spend_col, spend), (exports_col, exports)):
                cell = cells_xl[col]
                assert excel_shows(float(cell.value), cell.number_format) == text, (
                    lever, cell.value, cell.number_format)
            # a funded lever's bars carry the same figures
            if spend != "–":
                assert f">{spend}<" in svg, (lever, spend)
                assert f">{exports}<" in svg, (lever, exports)
        checked += 1
    assert checked == len(md)


def _tex(text: str) -> str:
    return text.replace("&", r"\&").replace("%", r"\%").replace("$", r"\$")


def _untex(cell: str) -> str:
    cell = re.sub(r"\\textbf\{(.*)\}", r"\1", cell)
    return cell.replace(r"\$", "$").replace(r"\%", "%").replace("--", "–").replace(
        r"\&", "&").strip()
