"""Evidence behind the synergy library: counts, ranking, fallback, leave-one-source-out recall.

The exact figures are hand counts on ``tests/data/library_small.csv`` (rows T001-T006) and
``tests/data/documented_small.csv`` (exchanges D1-D10, whose ``notes`` say which row each one
counts for and why the others do not).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from flows import evidence, library, nace, reference

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="module")
def documented() -> pd.DataFrame:
    return library.load_documented(DATA / "documented_small.csv")


@pytest.fixture(scope="module")
def small(documented: pd.DataFrame) -> pd.DataFrame:
    return library.load_library(DATA / "library_small.csv", documented=documented)


def test_evidence_counts_match_a_hand_count(small: pd.DataFrame) -> None:
    # T001 (35.11 -> 23.62, 10 01 05): D1 (a), D2 (b); not D6 (provider only division 35),
    # D7 (receiver only group 23.6), D8 (10 01 02, same sub-chapter). T003 (35 -> 35.30,
    # heat): D3 (35.12, a) and D4 (c). T004: D9 (a). T006: D10 (b). T005: D5 is planned.
    got = small.set_index("synergy_id")[list(library.EVIDENCE_COLUMNS)]
    assert got["evidence_count"].to_dict() == {
        "T001": 2, "T002": 0, "T003": 2, "T004": 1, "T005": 0, "T006": 1,
    }  # fmt: skip
    assert got["evidence_sources"].to_dict() == {
        "T001": 2, "T002": 0, "T003": 2, "T004": 1, "T005": 0, "T006": 1,
    }  # fmt: skip
    assert got.loc["T001", "evidence_source_keys"] == "a; b"
    assert got.loc["T003", "evidence_source_keys"] == "a; c"
    assert got.loc["T002", "evidence_source_keys"] == ""


def test_evidence_follows_the_table(small: pd.DataFrame, documented: pd.DataFrame) -> None:
    # Computed, not stored: without D2 the FGD gypsum row has one exchange left.
    fewer = library.with_evidence(small, documented[documented["exchange_id"] != "D2"])
    assert fewer.set_index("synergy_id").loc["T001", "evidence_count"] == 1
    none = library.with_evidence(small, documented.iloc[0:0])
    assert none["evidence_count"].eq(0).all()


def test_suggest_ranks_by_evidence_then_confidence(
    small: pd.DataFrame, documented: pd.DataFrame
) -> None:
    table = library.suggest(nace_code="35.11", library=small)
    assert list(table.columns) == list(library.SUGGEST_COLUMNS)
    # Both documented twice in two sources; the FGD row's sector is the query's own class,
    # the heat row's only its division. The rest have no evidence: by resource.
    assert list(zip(table["resource"], table["receiver_nace"], strict=True)) == [
        ("10 01 05", "23.62"),
        ("heat", "35.30"),
        ("10 01 02", "23.51"),
        ("steam", "19.20"),
    ]
    assert table["why"].tolist()[:3] == [
        "2 documented exchanges in 2 sources; library confidence high; matched at class 35.11",
        "2 documented exchanges in 2 sources; library confidence high; matched at division 35",
        "no documented exchange; library confidence high; matched at class 35.11",
    ]
    assert table.attrs["note"] == ""
    # Without evidence the old order (confidence, then how exactly the sector matched) stands.
    bare = library.suggest(
        nace_code="35.11", library=library.with_evidence(small, documented.iloc[0:0])
    )
    assert bare["receiver_nace"].tolist()[-1] == "35.30"


def test_fallback_to_group_division_section(small: pd.DataFrame) -> None:
    by_division = library.suggest(nace_code="19.1", library=small)
    assert by_division.attrs["note"] == "no row for 19.1; showing division 19"
    assert by_division["receiver_nace"].tolist() == ["23.62"]
    by_section = library.suggest(nace_code="20.11", library=small)
    assert by_section.attrs["note"] == "no row for 20.11; showing section C"
    assert by_section.attrs["nace_used"] == "C"
    nothing = library.suggest(nace_code="01.13", library=small)
    assert nothing.empty
    assert nothing.attrs["note"] == "no row for 01.13 nor any code above it"
    exact = library.suggest(nace_code="20.11", library=small, fallback=False)
    assert exact.empty


def test_widen_lists_the_broader_codes_rows_after_the_own(small: pd.DataFrame) -> None:
    # 35.12's own row is T003 (division 35); widened, group 35.1 adds the 35.11 rows, best
    # documented first (T001: two exchanges), then by resource.
    table = library.suggest(nace_code="35.12", library=small, widen=True)
    assert table["receiver_nace"].tolist() == ["35.30", "23.62", "23.51", "19.20"]
    assert table["why"].iloc[1] == (
        "2 documented exchanges in 2 sources; library confidence high; "
        "matched at class 35.11 (widened to group 35.1)"
    )
    assert library.suggest(nace_code="35.12", library=small)["receiver_nace"].tolist() == ["35.30"]


def test_near_miss_codes_are_read_with_a_note(small: pd.DataFrame) -> None:
    rev2 = library.suggest(nace_code="16.10", library=small)  # NACE Rev. 2 sawmilling
    assert rev2.attrs["note"].startswith("16.10 is a NACE Rev. 2 code")
    assert rev2.attrs["note"].endswith("no row for 16.1; showing section C")
    group = library.suggest(nace_code="35.10", library=small)  # class written for group 35.1
    assert group.attrs["note"] == "35.10 is not a class; read as group 35.1"
    assert set(group["receiver_nace"]) == {"23.62", "19.20", "23.51", "35.30"}
    with pytest.raises(ValueError, match=r"division Rev\. 2\.1 no longer has"):
        library.suggest(nace_code="45.20", library=small)


def test_leave_one_source_out_recall_matches_a_hand_count(
    small: pd.DataFrame, documented: pd.DataFrame
) -> None:
    # Nine exchanges are active or historical (D5 is planned), in sources a, b, c.
    # k=1, by sector: holding out a, 35.11's best row is T001 (D2 left) -> 23.62: D1 hit,
    # D3 (35.12 -> T003 only) hit, D9 hit. Holding out b, T003 has two exchanges left -> 35.30:
    # D2, D7, D8 miss; D10 hit. Holding out c, T001 -> 23.62: D4 misses, D6 (division 35) hits.
    # D7's receiver is only a group, so the class level counts 8 exchanges.
    # Popularity overall: 23.62 leads every fold: D1, D9, D2, D8, D6 hit at class level; at group
    # level 23.6 also catches D7. Per provider division: D9 and D10 have no training exchange of
    # their division; 35's tie in fold b (23.62 and 35.30 twice each) goes to 23.62 by code.
    result = evidence.leave_one_source_out(small, documented, k=1)
    assert (result.exchanges, result.sources, result.k) == (9, 3, 1)
    table = result.table.set_index(["mode", "method", "level"])
    sector = "by sector"
    assert table.loc[(sector, "suggest", "class"), ["hits", "n"]].tolist() == [5, 8]
    assert table.loc[(sector, "suggest", "group"), ["hits", "n"]].tolist() == [5, 9]
    assert table.loc[(sector, "suggest", "division"), ["hits", "n"]].tolist() == [5, 9]
    assert table.loc[(sector, "popular overall", "class"), ["hits", "n"]].tolist() == [5, 8]
    assert table.loc[(sector, "popular overall", "group"), ["hits", "n"]].tolist() == [6, 9]
    assert table.loc[(sector, "popular in provider division", "class"), "hits"] == 4
    assert table.loc[(sector, "suggest", "class"), "recall"] == pytest.approx(5 / 8)
    # every query here has rows of its own, so widening changes nothing in first place
    assert (
        table.xs("suggest", level="method")["hits"].tolist()
        == table.xs("suggest, widened", level="method")["hits"].tolist()
    )
    # k=5: the tiny library names every receiver a provider ever had, so every exchange hits.
    wide = evidence.leave_one_source_out(small, documented, k=5).table
    assert wide[(wide["mode"] == sector) & (wide["method"] == "suggest")]["recall"].eq(1).all()
    assert set(wide["mode"]) == set(evidence.MODES)
    assert set(wide["method"]) == set(evidence.METHODS)


def test_leave_one_case_out_holds_out_every_source_of_a_case(
    small: pd.DataFrame, documented: pd.DataFrame
) -> None:
    # each case of the fixture has one source: holding out cases is holding out sources
    by_source = evidence.leave_one_source_out(small, documented, k=1)
    by_case = evidence.leave_one_source_out(small, documented, k=1, hold_out="case")
    pd.testing.assert_frame_equal(by_source.table, by_case.table)
    assert (by_case.held_out, by_case.groups) == ("case", 3)
    # D3 (case Alpha) cited from source b: held out by source, it is predicted with Alpha's D1
    # and D9 in training and Beta's exchanges out; held out by case, the other way round
    moved = documented.assign(
        source=documented["source"].where(documented["exchange_id"] != "D3", "b")
    )
    source_folds = evidence.leave_one_source_out(small, moved, k=1)
    case_folds = evidence.leave_one_source_out(small, moved, k=1, hold_out="case")
    assert (source_folds.groups, case_folds.groups) == (3, 3)
    assert not source_folds.table.equals(case_folds.table)
    with pytest.raises(ValueError, match="hold_out"):
        evidence.leave_one_source_out(small, documented, hold_out="country")


def test_coverage_before_and_after_fallback(small: pd.DataFrame, documented: pd.DataFrame) -> None:
    extra = documented.iloc[:2].assign(exchange_id=["X1", "X2"], provider_nace=["20.11", "01.13"])
    found = evidence.coverage(small, pd.concat([documented, extra]))
    assert found.codes == ("01.13", "19.20", "20.11", "35", "35.11", "35.12", "37.00")
    assert found.unanswered_exact == ("01.13", "20.11")
    assert found.unanswered_fallback == ("01.13",)


def test_top_at_level_cuts_and_dedupes() -> None:
    codes = ["23.62", "23.61", "C", "35", "35.30", "24.10"]
    assert evidence.top_at_level(codes, 2, 5) == ["23", "35", "24"]
    assert evidence.top_at_level(codes, 3, 2) == ["23.6", "35.3"]
    assert evidence.top_at_level(codes, 4, 5) == ["23.62", "23.61", "35.30", "24.10"]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("D3,Alpha,DK,Wind A,35.12", "D3,Alpha,DK,Wind A,35.99"), "row 4, provider_nace: '35.99'"),
        (("D4,Gamma", "D3,Gamma"), "row 5, exchange_id: 'D3' is used again (first at row 4)"),
        ((",heat,Heat,active,,a", ",warmth,Heat,active,,a"), "row 4, resource: unknown resource"),
        (
            (",fuel-gas,Fuel gas,active,1972,a,", ",fuel-gas,Fuel gas,active,1972,,"),
            "row 10, source",
        ),
        (("first_year,source", "first_year,src"), "missing columns source"),
    ],
)
def test_documented_table_errors_name_file_row_and_field(
    tmp_path: Path, edit: tuple[str, str], message: str
) -> None:
    text = (DATA / "documented_small.csv").read_text(encoding="utf-8")
    assert text.count(edit[0]) == 1
    path = tmp_path / "documented.csv"
    path.write_text(text.replace(*edit), encoding="utf-8")
    with pytest.raises(library.LibraryError, match=r"^documented\.csv: ") as err:
        library.load_documented(path)
    assert message in str(err.value)


def _naive_covers(broad: str, narrow: str) -> bool:
    """An independent reading of "broad covers narrow": a section letter covers its codes,
    a dotted code covers those it is a prefix of (20.1 covers 20.11; 20.1 does not cover 20)."""
    if broad.isalpha():
        return nace.section_of(narrow) == broad
    if narrow.isalpha():
        return False
    return narrow.startswith(broad) and len(narrow) >= len(broad)


def test_bundled_evidence_equals_a_naive_recount() -> None:
    # Holds for any valid content of the two bundled files: a plain double loop agrees with the
    # vectorised count, and the counts relate as they must.
    ref = reference.default()
    lib, documented = ref.library, ref.documented
    done = documented[documented["status"].isin(library.EVIDENCE_STATUSES)]
    expected = [
        sum(
            ex.resource == row.resource
            and _naive_covers(row.source_nace, ex.provider_nace)
            and _naive_covers(row.receiver_nace, ex.receiver_nace)
            for ex in done.itertuples()
        )
        for row in lib.itertuples()
    ]
    assert lib["evidence_count"].tolist() == expected
    assert (lib["evidence_sources"] <= lib["evidence_count"]).all()
    assert ((lib["evidence_sources"] > 0) == (lib["evidence_count"] > 0)).all()
    keys = lib["evidence_source_keys"].map(lambda s: len(s.split("; ")) if s else 0)
    assert keys.tolist() == lib["evidence_sources"].tolist()


def test_replacing_the_library_recounts_its_evidence(small: pd.DataFrame) -> None:
    ref = reference.default()
    changed = ref.with_overrides(library=small)
    assert changed.documented is ref.documented
    recount = library.with_evidence(small, ref.documented)
    assert changed.library["evidence_count"].tolist() == recount["evidence_count"].tolist()
