"""Regenerate the CSV members of the validation corpus (``csv_*``) from ``tests/data/mini``.

Each member is the mini case with exactly one thing broken; some are saved the way Excel saves
"Unicode text" (UTF-16 with a byte-order mark, tab-separated) or with odd bytes, which is why
they are generated rather than typed. The files are committed; tests never run this script.
Run it from the repository root after changing the mini case::

    python tests/data/bad/make_csv.py

Output is deterministic.
"""

from __future__ import annotations

import codecs
import shutil
from pathlib import Path

HERE = Path(__file__).resolve().parent
MINI = HERE.parent / "mini"


def _member(name: str) -> Path:
    target = HERE / name
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(MINI, target)
    return target


def _mini(file: str) -> str:
    return (MINI / file).read_text(encoding="utf-8")


def _write(path: Path, text: str, *, bom: bytes, codec: str) -> None:
    # newline="" semantics by hand: Excel writes CRLF, and the reader must cope.
    path.write_bytes(bom + text.replace("\n", "\r\n").encode(codec))


def utf16_tab_nace_unknown() -> None:
    """sites.csv as Excel's "Unicode text": UTF-16 LE with BOM, tab-separated; NACE 99.99."""
    text = _mini("sites.csv").replace(",", "\t").replace("19.20", "99.99")
    _write(
        _member("csv_utf16_tab_nace_unknown") / "sites.csv",
        text,
        bom=codecs.BOM_UTF16_LE,
        codec="utf-16-le",
    )


def utf16be_semicolon_quantity_not_number() -> None:
    """flows.csv in UTF-16 BE with BOM, semicolons and decimal commas; quantity 'lots'."""
    lines = _mini("flows.csv").splitlines()
    lines = [line.replace(",", ";") for line in lines]
    lines[2] = lines[2].replace("180000", "180000,5")
    lines[4] = lines[4].replace(";400;", ";lots;")
    _write(
        _member("csv_utf16be_semicolon_quantity_not_number") / "flows.csv",
        "\n".join(lines) + "\n",
        bom=codecs.BOM_UTF16_BE,
        codec="utf-16-be",
    )


def utf32_unit_unknown() -> None:
    """exchanges.csv in UTF-32 LE with BOM; line 2's unit is 'furlongs/fortnight'."""
    lines = _mini("exchanges.csv").splitlines()
    lines[1] = lines[1].replace("t/yr", "furlongs/fortnight")
    _write(
        _member("csv_utf32_unit_unknown") / "exchanges.csv",
        "\n".join(lines) + "\n",
        bom=codecs.BOM_UTF32_LE,
        codec="utf-32-le",
    )


def unclosed_quote() -> None:
    """sites.csv: a closed two-line name on line 2, an unclosed quote opening line 5's name."""
    lines = _mini("sites.csv").splitlines()
    lines[1] = lines[1].replace("Coastal Power Station", '"Coastal Power\nStation"')
    lines[3] = lines[3].replace("Board Factory", '"Board Factory')
    (_member("csv_unclosed_quote") / "sites.csv").write_text("\n".join(lines) + "\n")


def duplicate_column() -> None:
    """sites.csv has a second 'name' column (short names) after employees."""
    lines = _mini("sites.csv").splitlines()
    short = ["name", "power", "refinery", "board", "dh"]
    text = "\n".join(f"{line},{extra}" for line, extra in zip(lines, short, strict=True))
    (_member("csv_duplicate_column") / "sites.csv").write_text(text + "\n")


def too_many_columns() -> None:
    """sites.csv has 501 columns: the mini columns and 493 empty 'note_<n>' columns."""
    lines = _mini("sites.csv").splitlines()
    extra = 501 - len(lines[0].split(","))
    header = lines[0] + "".join(f",note_{i}" for i in range(1, extra + 1))
    rows = [line + "," * extra for line in lines[1:]]
    (_member("csv_too_many_columns") / "sites.csv").write_text("\n".join([header, *rows]) + "\n")


def cell_too_long() -> None:
    """sites.csv line 3: the name is 32,768 characters long, one beyond Excel's cell limit."""
    lines = _mini("sites.csv").splitlines()
    lines[2] = lines[2].replace("Harbour Refinery", "Harbour Refinery " + "x" * 32_751)
    (_member("csv_cell_too_long") / "sites.csv").write_text("\n".join(lines) + "\n")


def excel_sep_line() -> None:
    """sites.csv from a European Excel: a 'sep=;' first line, semicolons, decimal commas; line 5
    (data row 3) has lat 55°39'N."""
    lines = _mini("sites.csv").splitlines()
    rows = []
    for line in lines:
        fields = line.split(",")
        if fields[0] != "site_id":
            fields[3] = fields[3].replace(".", ",")
            fields[4] = fields[4].replace(".", ",")
        rows.append(";".join(fields))
    rows[3] = rows[3].replace("55,659", "55°39'N")
    (_member("csv_excel_sep_line_lat_not_number") / "sites.csv").write_text(
        "sep=;\n" + "\n".join(rows) + "\n"
    )


def main() -> None:
    """Write every CSV member."""
    utf16_tab_nace_unknown()
    utf16be_semicolon_quantity_not_number()
    utf32_unit_unknown()
    unclosed_quote()
    duplicate_column()
    too_many_columns()
    cell_too_long()
    excel_sep_line()


if __name__ == "__main__":
    main()
