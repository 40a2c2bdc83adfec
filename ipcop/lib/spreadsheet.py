"""CSV exports that are safe to open in a spreadsheet (OWASP "CSV injection").

A cell starting with =, +, - or @ (or a tab or carriage return, which some spreadsheets
skip before reading a formula) would run as a formula when the file is opened; such text
is prefixed with an apostrophe, which spreadsheets show as plain text. Numbers are left as
they are: a negative count is not a formula.

An .xlsx written here stores each text as text (never as a formula), so it needs no
apostrophe."""

from __future__ import annotations

import io
from decimal import Decimal

import openpyxl
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value):
    """The value to write in a CSV cell: numbers unchanged, text defused, None empty."""
    if value is None:
        return ""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def spreadsheet_row(values) -> list:
    return [spreadsheet_safe(value) for value in values]


def xlsx_workbook(sheets: list[tuple[str, list[list]]]) -> bytes:
    """An Excel workbook (.xlsx) of `sheets`, each (title, rows of cells); text cells are
    stored as text, so "=..." stays what it says. The first row of each sheet is bold."""
    workbook = openpyxl.Workbook(write_only=True)
    for title, rows in sheets:
        sheet = workbook.create_sheet(title=title[:31])
        for number, values in enumerate(rows):
            cells = []
            for value in values:
                cell = WriteOnlyCell(sheet, value=value)
                if isinstance(value, str):
                    cell.data_type = "s"
                if number == 0:
                    cell.font = Font(bold=True)
                cells.append(cell)
            sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
