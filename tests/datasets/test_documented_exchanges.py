"""Documented exchanges: a valid, fully sourced evidence table for the synergy library.

The table is ``datasets/reference/documented_exchanges.csv`` with its citations in
``documented_sources.csv`` (described in ``documented_exchanges.md``). These tests check that
every code is one SymbioMap understands, every row cites a defined source, every defined source
is used, and that the table is large and varied enough to measure ``suggest`` by
leave-one-source-out recall (at least 300 rows from at least 25 sources).
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

from datasets import reference_path
from flows import nace
from flows.library import DOCUMENTED_COLUMNS
from flows.reference import default

COLUMNS = list(DOCUMENTED_COLUMNS)
SOURCE_COLUMNS = ["source", "citation", "url", "year", "read"]
MIN_ROWS = 300
MIN_SOURCES = 25


@pytest.fixture(scope="module")
def exchanges() -> pd.DataFrame:
    return pd.read_csv(reference_path("documented_exchanges.csv"), dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def sources() -> pd.DataFrame:
    return pd.read_csv(reference_path("documented_sources.csv"), dtype=str, keep_default_na=False)


def test_columns_are_exactly_the_documented_ones(
    exchanges: pd.DataFrame, sources: pd.DataFrame
) -> None:
    assert list(exchanges.columns) == COLUMNS
    assert list(sources.columns) == SOURCE_COLUMNS


def test_ids_run_from_e0001_without_gaps(exchanges: pd.DataFrame) -> None:
    expected = [f"E{i:04d}" for i in range(1, len(exchanges) + 1)]
    assert exchanges["exchange_id"].tolist() == expected


def test_enough_rows_and_sources(exchanges: pd.DataFrame) -> None:
    assert len(exchanges) >= MIN_ROWS
    assert exchanges["source"].nunique() >= MIN_SOURCES


@pytest.mark.parametrize("column", ["provider_nace", "receiver_nace"])
def test_every_nace_code_is_in_the_naceconverter_list(exchanges: pd.DataFrame, column: str) -> None:
    bad = sorted({code for code in exchanges[column] if not nace.is_valid(code)})
    assert bad == []


def test_nace_codes_are_written_as_the_list_writes_them(exchanges: pd.DataFrame) -> None:
    # '35.3' and '35.30' would both validate; only the list's own form joins to the library.
    codes = set(exchanges["provider_nace"]) | set(exchanges["receiver_nace"])
    assert sorted(c for c in codes if nace.normalise(c) != c) == []


def test_every_resource_is_a_listed_ewc_code_or_a_carrier(exchanges: pd.DataFrame) -> None:
    vocabulary = default().vocabulary
    known = set(vocabulary.ewc) | set(vocabulary.carriers)
    bad = sorted(set(exchanges["resource"]) - known)
    assert bad == []
    # normalise() is the identity on canonical forms, so no row relies on lenient parsing.
    assert all(vocabulary.normalise(r) == r for r in set(exchanges["resource"]))


def test_hazardous_codes_carry_their_star(exchanges: pd.DataFrame) -> None:
    ewc = default().vocabulary.ewc
    for code in set(exchanges["resource"]) & set(ewc):
        assert code.endswith("*") == ewc[code].hazardous


def test_status_year_and_country_are_well_formed(exchanges: pd.DataFrame) -> None:
    assert set(exchanges["status"]) <= {"active", "historical", "planned"}
    years = exchanges.loc[exchanges["first_year"] != "", "first_year"].astype(int)
    assert years.between(1900, 2030).all()
    assert exchanges["country"].str.fullmatch(r"[A-Z]{2}").all()


def test_no_duplicate_exchange(exchanges: pd.DataFrame) -> None:
    key = ["case", "provider", "receiver", "resource"]
    assert not exchanges.duplicated(key).any()


def test_every_source_key_is_defined_and_every_defined_source_is_used(
    exchanges: pd.DataFrame, sources: pd.DataFrame
) -> None:
    assert sources["source"].is_unique
    assert set(exchanges["source"]) == set(sources["source"])


def test_sources_say_how_they_were_read(sources: pd.DataFrame) -> None:
    assert set(sources["read"]) <= {"full", "part"}
    assert (sources["citation"].str.len() > 20).all()
    assert sources["url"].str.match(r"https?://").all()
    years = sources.loc[sources["year"] != "", "year"]
    assert years.map(lambda y: re.fullmatch(r"\d{4}", y) is not None).all()


def test_maestri_is_not_a_source(sources: pd.DataFrame) -> None:
    # The MAESTRI database is kept for independent evaluation of the ranking.
    text = (sources["citation"] + " " + sources["url"]).str.lower()
    assert not text.str.contains("maestri").any()


def test_known_rows_are_coded_as_published(exchanges: pd.DataFrame) -> None:
    # Kalundborg: Asnaes FGD gypsum to Gyproc from 1993, 150,000 t in 2010 (ks-home);
    # Rotterdam: Shell Pernis CO2 to greenhouses via OCAP since 2005 (ocap-factsheet).
    rows = exchanges.set_index(["case", "provider", "receiver", "resource"])
    gypsum = rows.loc[
        ("Kalundborg", "Asnæs Power Station", "Gyproc plasterboard factory", "10 01 05")
    ]
    assert (gypsum["provider_nace"], gypsum["receiver_nace"]) == ("35.11", "23.62")
    assert gypsum["first_year"] == "1993"
    ocap = exchanges[(exchanges["case"] == "Rotterdam OCAP") & (exchanges["resource"] == "co2")]
    assert "19.20" in set(ocap["provider_nace"])


def test_many_provider_sectors_are_covered(exchanges: pd.DataFrame) -> None:
    # Recall is measured per provider code, so the evidence must span the main source sectors:
    # power (35), refining (19), chemicals (20), food (10/11), paper (17), steel and metals (24),
    # cement and minerals (23), waste (38), water (36/37) and agriculture/forestry (01/02).
    divisions = set(exchanges["provider_nace"].str[:2])
    assert {"35", "19", "20", "10", "11", "17", "24", "38", "37", "01", "02"} <= divisions
    assert len(divisions) >= 20
