"""Regenerate the hostile Excel members of the validation corpus (``xlsx_hostile_*.xlsx``).

Each member is ``tests/data/mini`` written as a workbook with exactly one thing broken; the
expected finding of each is in ``expected/xlsx.csv``. The files are committed; tests never run
this script. Run it from the repository root after changing the mini case or the writer::

    python tests/data/bad/make_xlsx.py

Output is deterministic (fixed zip dates and document properties, as in make_binary.py).
Members bigger than the corpus allows (a workbook beyond the size limit) are built inside the
tests instead.
"""

from __future__ import annotations

import io
import re
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))

from make_binary import _deterministic_zip, _xlsx  # noqa: E402
from openpyxl.workbook.workbook import Workbook  # noqa: E402

PREFIX = "xlsx_hostile_"

LAUGHS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    + "]>\n"
)
EXTERNAL = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<!DOCTYPE workbook [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
)


def _column(sheet: object, name: str) -> int:
    header = [c.value for c in sheet[1]]  # type: ignore[index]
    return header.index(name) + 1


def _set(sheet_name: str, row: int, column: str, value: object) -> Callable[[Workbook], None]:
    def edit(book: Workbook) -> None:
        sheet = book[sheet_name]
        sheet.cell(row=row, column=_column(sheet, column), value=value)

    return edit


def _merge_park_ids(book: Workbook) -> None:
    sheet = book["sites"]
    col = _column(sheet, "park_id")
    # Rows 2-4 all say park1: merging them is what a tidy-minded user does by hand.
    for row in (3, 4):
        sheet.cell(row=row, column=col).value = None
    sheet.merge_cells(start_row=2, start_column=col, end_row=4, end_column=col)


def _title_rows(book: Workbook) -> None:
    sheet = book["sites"]
    sheet.insert_rows(1, amount=2)
    sheet.cell(row=1, column=1, value="Mini test case: sites")
    sheet.cell(row=2, column=1, value="Made up for SymbioMap's tests")


def _far_column(book: Workbook) -> None:
    book["flows"].cell(row=3, column=600, value="stray note")


def _rewrite(source: Path, part: str, edit: Callable[[str], str]) -> bytes:
    """The workbook ``source`` with the XML of ``part`` passed through ``edit``."""
    out = io.BytesIO()
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == part:
                data = edit(data.decode("utf-8")).encode("utf-8")
            dst.writestr(info, data)
    return _deterministic_zip(out.getvalue())


def _prolog(prolog: str) -> Callable[[str], str]:
    """Replace the XML declaration with ``prolog`` (declaration and DOCTYPE)."""
    return lambda text: prolog + re.sub(r"^<\?xml[^>]*\?>\s*", "", text)


def _ole2(directory_name: str) -> bytes:
    """The first sector of a Compound File (what an .xls or an encrypted .xlsx starts with),
    followed by a directory sector naming one stream, in UTF-16 as the format has it."""
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(16) + b"\x3e\x00\x03\x00\xfe\xff"
    header += b"\x09\x00\x06\x00" + bytes(512 - len(header) - 4) + b"\x00\x00\x00\x00"
    name = directory_name.encode("utf-16-le") + b"\x00\x00"
    entry = name + bytes(64 - len(name)) + len(name).to_bytes(2, "little") + b"\x02\x01"
    return header[:512] + entry + bytes(512 - len(entry))


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        good = Path(tmp) / "good.xlsx"
        _xlsx(lambda book: None, good)
        # sheet1 is the sites sheet; the bomb is declared and used in a site's name.
        laughs = _rewrite(
            good,
            "xl/worksheets/sheet1.xml",
            lambda text: _prolog(LAUGHS)(text).replace("Board Factory", "&lol9;", 1),
        )
        (HERE / f"{PREFIX}billion_laughs.xlsx").write_bytes(laughs)
        external = _rewrite(good, "xl/workbook.xml", _prolog(EXTERNAL))
        (HERE / f"{PREFIX}external_entity.xlsx").write_bytes(external)
        # openpyxl itself cuts longer text to Excel's limit, so the long cell is put in the XML.
        _xlsx(_set("sites", 3, "name", "LONG-NAME"), good)
        long_name = _rewrite(
            good,
            "xl/worksheets/sheet1.xml",
            lambda text: text.replace("LONG-NAME", "Harbour Refinery " + "x" * 40_000, 1),
        )
        (HERE / f"{PREFIX}cell_too_long.xlsx").write_bytes(long_name)
    _xlsx(_set("sites", 2, "employees", "=100+20"), HERE / f"{PREFIX}formula_not_computed.xlsx")
    _xlsx(_set("sites", 3, "employees", "#DIV/0!"), HERE / f"{PREFIX}error_value.xlsx")
    _xlsx(_merge_park_ids, HERE / f"{PREFIX}merged_cells.xlsx")
    _xlsx(_title_rows, HERE / f"{PREFIX}title_rows.xlsx")
    _xlsx(_far_column, HERE / f"{PREFIX}too_many_columns.xlsx")
    (HERE / f"{PREFIX}legacy_xls.xlsx").write_bytes(_ole2("Workbook"))
    (HERE / f"{PREFIX}encrypted.xlsx").write_bytes(_ole2("EncryptionInfo"))


if __name__ == "__main__":
    main()
