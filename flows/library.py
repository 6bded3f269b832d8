"""The synergy library: which sectors' outputs have fed which sectors' inputs, with sources.

Each row also carries the evidence for it: how many exchanges of the documented-exchanges table
(``datasets/reference/documented_exchanges.csv``) it covers and in how many sources. That is
computed whenever the library is loaded, never stored, so it always equals the table.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from datasets import DATA_DIR
from flows import nace, resources
from flows._errors import ResourceError, SymbioMapError

LIBRARY_PATH = DATA_DIR / "synergy_library.csv"
CONFIDENCE_ORDER = {"high": 0, "medium": 1, "low": 2}
LIBRARY_COLUMNS = (
    "synergy_id",
    "source_nace",
    "source_activity",
    "resource",
    "resource_name",
    "receiver_nace",
    "receiver_activity",
    "substitutes",
    "mode",
    "max_distance_km",
    "virgin_ef_kgco2e_per_unit",
    "virgin_ef_unit",
    "disposal_route",
    "disposal_ef_kgco2e_per_t",
    "confidence",
    "example",
    "source",
    "notes",
)
SUGGEST_COLUMNS = (
    "resource",
    "resource_name",
    "receiver_nace",
    "receiver_name",
    "substitutes",
    "confidence",
    "source",
    "evidence_count",
    "evidence_sources",
    "why",
)
DOCUMENTED_PATH = DATA_DIR / "reference" / "documented_exchanges.csv"
DOCUMENTED_COLUMNS = (
    "exchange_id",
    "case",
    "country",
    "provider",
    "provider_nace",
    "receiver",
    "receiver_nace",
    "resource",
    "resource_name",
    "status",
    "first_year",
    "source",
    "notes",
)
EVIDENCE_STATUSES = frozenset({"active", "historical"})
"""Statuses of a documented exchange that count as evidence (a planned one has not happened)."""
EVIDENCE_COLUMNS = ("evidence_count", "evidence_sources", "evidence_source_keys")
"""Columns :func:`with_evidence` adds to each library row."""


class LibraryError(SymbioMapError, ValueError):
    """The synergy library file is malformed (names the row and field)."""


def load_library(
    path: str | os.PathLike[str] | None = None,
    *,
    vocabulary: resources.Vocabulary | None = None,
    documented: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Read and check the synergy library (default: the bundled one), with its evidence.

    Codes are normalised (NACE dotted, EWC in ``10 01 05`` form) with ``vocabulary`` (default:
    the bundled EWC list and carriers); numbers become floats. The :data:`EVIDENCE_COLUMNS` are
    counted in ``documented`` (default: :func:`load_documented`'s bundled table).

    Raises
    ------
    LibraryError
        If a column is missing, a code is invalid, a source is empty or a number is not one.
    """
    file = Path(path) if path is not None else LIBRARY_PATH
    words = vocabulary or resources.read_vocabulary()
    table = documented if documented is not None else load_documented(vocabulary=words)
    return with_evidence(_load(file, words), table)


def _load(path: Path, vocabulary: resources.Vocabulary) -> pd.DataFrame:
    # Not cached here: flows.reference.default() is the one place that keeps the bundled copy.
    name = path.name
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in LIBRARY_COLUMNS if c not in frame.columns]
    if missing:
        msg = f"{name}: missing columns {', '.join(missing)}"
        raise LibraryError(msg)
    for col in frame.columns:
        frame[col] = frame[col].str.strip()
    problems: list[str] = []
    for pos, row in enumerate(frame.itertuples(index=False), start=2):
        problems += _pair_problems(row, pos, ("source_nace", "receiver_nace"), vocabulary)
        if row.confidence not in CONFIDENCE_ORDER:
            problems.append(f"row {pos}, confidence: {row.confidence!r} is not high/medium/low")
    if problems:
        msg = f"{name}: " + "; ".join(problems[:10])
        raise LibraryError(msg)
    frame["source_nace"] = frame["source_nace"].map(nace.normalise)
    frame["receiver_nace"] = frame["receiver_nace"].map(nace.normalise)
    frame["resource"] = frame["resource"].map(vocabulary.normalise)
    for col in ("max_distance_km", "virgin_ef_kgco2e_per_unit", "disposal_ef_kgco2e_per_t"):
        values = pd.to_numeric(frame[col].replace("", None), errors="coerce")
        bad = frame[col].ne("") & values.isna()
        if bool(bad.any()):
            pos = int(bad.to_numpy().argmax()) + 2
            msg = f"{name}: row {pos}, {col}: {frame[col].iloc[pos - 2]!r} is not a number"
            raise LibraryError(msg)
        frame[col] = values.astype("float64")
    frame["family"] = frame["resource"].map(vocabulary.family_of)
    return frame


def load_documented(
    path: str | os.PathLike[str] | None = None, *, vocabulary: resources.Vocabulary | None = None
) -> pd.DataFrame:
    """Read and check a table of documented exchanges (default: the bundled one).

    Each row is one exchange that a cited source says took place (or is planned) between a
    provider and a receiver, with both NACE codes and the resource (EWC code or carrier).

    Parameters
    ----------
    path
        A CSV with :data:`DOCUMENTED_COLUMNS`. Without it, the bundled
        ``datasets/reference/documented_exchanges.csv``, or an empty table while that file
        does not exist (every evidence count is then 0).
    vocabulary
        The EWC list and carriers resources are read with (default: the bundled ones).

    Returns
    -------
    DataFrame
        The table with codes normalised and ``first_year`` as a nullable integer.

    Raises
    ------
    LibraryError
        If a column is missing, an id is repeated, a NACE code or resource is not valid or a
        source is empty (the message names the file, row and field).
    """
    if path is None and not DOCUMENTED_PATH.is_file():
        return pd.DataFrame({c: pd.Series(dtype="object") for c in DOCUMENTED_COLUMNS})
    file = Path(path) if path is not None else DOCUMENTED_PATH
    words = vocabulary or resources.read_vocabulary()
    frame = pd.read_csv(file, dtype=str, keep_default_na=False)
    missing = [c for c in DOCUMENTED_COLUMNS if c not in frame.columns]
    if missing:
        msg = f"{file.name}: missing columns {', '.join(missing)}"
        raise LibraryError(msg)
    frame = frame.apply(lambda col: col.str.strip())
    problems = _documented_problems(frame, words)
    if problems:
        msg = f"{file.name}: " + "; ".join(problems[:10])
        raise LibraryError(msg)
    for col in ("provider_nace", "receiver_nace"):
        frame[col] = frame[col].map(nace.normalise)
    frame["resource"] = frame["resource"].map(words.normalise)
    frame["first_year"] = pd.to_numeric(frame["first_year"].replace("", None)).astype("Int64")
    return frame


def _pair_problems(
    row: Any, pos: int, nace_columns: tuple[str, str], vocabulary: resources.Vocabulary
) -> list[str]:
    """What is wrong with one source-to-receiver row of the library or the documented table:
    its two NACE codes, its resource and its source (line ``pos`` of the file)."""
    problems = [
        f"row {pos}, {col}: {getattr(row, col)!r} is not a NACE code"
        for col in nace_columns
        if not nace.is_valid(getattr(row, col))
    ]
    try:
        vocabulary.normalise(row.resource)
    except ResourceError as err:
        problems.append(f"row {pos}, resource: {err}")
    if not row.source:
        problems.append(f"row {pos}, source: empty; every row cites its source")
    return problems


def _documented_problems(frame: pd.DataFrame, vocabulary: resources.Vocabulary) -> list[str]:
    """One message per bad field, with its line in the file (the header is line 1)."""
    problems: list[str] = []
    seen: dict[str, int] = {}
    for pos, row in enumerate(frame.itertuples(index=False), start=2):
        if not row.exchange_id:
            problems.append(f"row {pos}, exchange_id: empty")
        elif row.exchange_id in seen:
            problems.append(
                f"row {pos}, exchange_id: {row.exchange_id!r} is used again "
                f"(first at row {seen[row.exchange_id]})"
            )
        else:
            seen[row.exchange_id] = pos
        problems += _pair_problems(row, pos, ("provider_nace", "receiver_nace"), vocabulary)
        if row.first_year and not row.first_year.isdigit():
            problems.append(f"row {pos}, first_year: {row.first_year!r} is not a year")
    return problems


def _covers(broad: pd.Series, narrow: pd.Series) -> np.ndarray:
    """Elementwise: whether NACE code ``broad`` is ``narrow`` or one of its ancestors.

    A library row at group ``20.1`` covers an exchange at class ``20.11``; a row at class
    ``20.11`` does not cover an exchange coded only as division ``20`` (that exchange does not
    say it was the 20.11 activity).
    """
    levels = broad.map(nace.level).to_numpy()
    out = np.zeros(len(broad), dtype=bool)
    for wanted in np.unique(levels):
        mask = levels == wanted
        ancestor = narrow[mask].map(lambda c, w=int(wanted): nace.at_level(c, w))
        out[mask] = ancestor.to_numpy() == broad[mask].to_numpy()
    return out


def evidence_matches(library: pd.DataFrame, documented: pd.DataFrame) -> pd.DataFrame:
    """Every (library row, documented exchange) pair where the exchange is evidence for the row.

    An exchange counts for a row when its provider is within the row's ``source_nace``, its
    receiver within the row's ``receiver_nace`` (a row at a broader level covers the codes
    below it, not the other way round), its resource is the row's own (the same EWC code or
    carrier: another code of the same EWC sub-chapter does not count, since one sub-chapter
    holds materials with different users, e.g. ``10 01 02`` coal fly ash and ``10 01 05`` FGD
    gypsum) and its status is one of :data:`EVIDENCE_STATUSES`.

    Returns
    -------
    DataFrame
        ``row`` (position in ``library``), ``exchange_id``, ``source``.
    """
    rows = pd.DataFrame(
        {
            "row": np.arange(len(library)),
            "row_source_nace": library["source_nace"].to_numpy(),
            "row_receiver_nace": library["receiver_nace"].to_numpy(),
            "resource": library["resource"].to_numpy(),
        }
    )
    done = documented[documented["status"].isin(EVIDENCE_STATUSES)]
    pairs = rows.merge(
        done[["exchange_id", "provider_nace", "receiver_nace", "resource", "source"]],
        on="resource",
    )
    if pairs.empty:
        return pd.DataFrame({"row": [], "exchange_id": [], "source": []}).astype(
            {"row": "int64", "exchange_id": "object", "source": "object"}
        )
    keep = _covers(pairs["row_source_nace"], pairs["provider_nace"]) & _covers(
        pairs["row_receiver_nace"], pairs["receiver_nace"]
    )
    return pairs.loc[keep, ["row", "exchange_id", "source"]].reset_index(drop=True)


def with_evidence(library: pd.DataFrame, documented: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``library`` with :data:`EVIDENCE_COLUMNS` counted in ``documented``.

    ``evidence_count`` is the number of documented exchanges the row covers
    (:func:`evidence_matches`), ``evidence_sources`` the number of distinct sources among them
    and ``evidence_source_keys`` those sources, sorted and joined with ``"; "``.
    """
    lib = library.drop(columns=list(EVIDENCE_COLUMNS), errors="ignore").copy()
    matches = evidence_matches(lib, documented)
    grouped = matches.groupby("row")["source"]
    positions = np.arange(len(lib))
    counts = grouped.size().reindex(positions, fill_value=0)
    sources = grouped.nunique().reindex(positions, fill_value=0)
    keys = grouped.agg(lambda s: "; ".join(sorted(set(s)))).reindex(positions, fill_value="")
    lib["evidence_count"] = counts.to_numpy().astype("int64")
    lib["evidence_sources"] = sources.to_numpy().astype("int64")
    lib["evidence_source_keys"] = keys.to_numpy().astype(object)
    return lib


def nace_related(code: str, other: str) -> bool:
    """Whether two NACE codes are the same activity at different levels (``24`` ~ ``24.10``)."""
    a, b = nace.normalise(code), nace.normalise(other)
    if a is None or b is None:
        return False
    if a.isalpha() or b.isalpha():
        return nace.is_valid(a) and nace.is_valid(b) and nace.section_of(a) == nace.section_of(b)
    short, long = sorted((a, b), key=len)
    return long.startswith(short)  # "24" ~ "24.1" ~ "24.10": dotted codes nest by prefix


def _distance(code: str, query: str) -> int:
    """Levels between two valid NACE codes through their nearest common ancestor.

    0 when equal; ``20.1`` is 1 from ``20.11``, its sibling ``20.14`` is 2, ``20`` is 2;
    codes of different sections are 8 apart (never closer than any pair of the same section).
    """
    a, b = nace.level(code), nace.level(query)
    for common in range(min(a, b), 0, -1):
        if nace.at_level(code, common) == nace.at_level(query, common):
            return (a - common) + (b - common)
    return 8


def fallback_chain(code: str) -> list[str]:
    """The code, then each of its ancestors up to the section (``20.11, 20.1, 20, C``)."""
    return [c for lvl in range(nace.level(code), 0, -1) if (c := nace.at_level(code, lvl))]


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _why(count: int, sources: int, confidence: str, matched: str | None) -> str:
    parts = [
        f"{_plural(count, 'documented exchange')} in {_plural(sources, 'source')}"
        if count
        else "no documented exchange",
        f"library confidence {confidence}",
    ]
    if matched:
        parts.append(f"matched at {matched}")
    return "; ".join(parts)


def suggest(
    *,
    nace_code: str | None = None,
    resource: str | None = None,
    library: pd.DataFrame | None = None,
    vocabulary: resources.Vocabulary | None = None,
    fallback: bool = True,
    widen: bool = False,
) -> pd.DataFrame:
    """What a sector's outputs could feed, or (with ``resource`` alone) who could take it.

    Parameters
    ----------
    nace_code
        Source sector at any NACE level (``24``, ``24.1``, ``24.10``). A near miss (a NACE
        Rev. 2 code, a class written for a group) is read as :func:`flows.nace.resolve` maps it.
    resource
        An EWC code or a carrier; with ``nace_code``, only that output.
    library
        The library to search, with its evidence (default: the bundled one, see
        :func:`load_library`; one without :data:`EVIDENCE_COLUMNS` is counted against the
        bundled documented exchanges).
    vocabulary
        The EWC list and carriers ``resource`` is read with (default: the bundled ones).
    fallback
        When no row is related to the code, show its group's rows, else its division's, else
        its section's (and say so in ``attrs["note"]``).
    widen
        After the code's own rows, list those of its group, then division, then section
        (each row's ``why`` says "widened to ..."), so that a code with few rows still gets
        the sector's other documented outlets.

    Returns
    -------
    DataFrame
        :data:`SUGGEST_COLUMNS`, one row per resource and receiver, best supported first: by
        documented exchanges, then distinct sources, then library confidence, then how closely
        the row's sector matches the code, then how many library rows agree. ``why`` says it in
        words. ``attrs["note"]`` tells how the code was read (near miss, fallback; empty when
        as given) and ``attrs["nace_used"]`` the code whose rows are shown.

    Raises
    ------
    ValueError
        If neither argument is given or the NACE code is not valid and no near miss.
    """
    if nace_code is None and resource is None:
        msg = "give a NACE code, a resource, or both"
        raise ValueError(msg)
    words = vocabulary or resources.read_vocabulary()
    lib = load_library(vocabulary=words) if library is None else library
    if "evidence_count" not in lib.columns:
        lib = with_evidence(lib, load_documented(vocabulary=words))
    rows = lib
    wanted = words.normalise(resource) if resource is not None else None
    if wanted is not None:
        rows = rows[rows["resource"] == wanted]
    notes: list[str] = []
    used: str | None = None
    if nace_code is not None:
        code, note = nace.resolve(nace_code)
        if code is None:
            msg = f"{nace_code!r} is not a NACE Rev. 2.1 code ({note})"
            raise ValueError(msg)
        if note:
            notes.append(note)
        chain = fallback_chain(code)
        used, found = _first_related(rows, chain if fallback else [code])
        what = f"{code} with {wanted}" if wanted is not None else code
        if used is None:
            notes.append(f"no row for {what}" + (" nor any code above it" if fallback else ""))
            used = code
        elif used != code:
            notes.append(f"no row for {what}; showing {nace.describe_level(used)}")
        rows = _widened(rows, found, chain[chain.index(used) + 1 :]) if widen else found
    out = _ranked(rows, used)
    out.attrs["note"] = "; ".join(notes)
    out.attrs["nace_used"] = used or ""
    return out


def _first_related(rows: pd.DataFrame, chain: list[str]) -> tuple[str | None, pd.DataFrame]:
    """The first code of ``chain`` that some row is related to, and those rows."""
    for code in chain:
        related = rows[rows["source_nace"].map(lambda c, q=code: nace_related(c, q))]
        if len(related):
            return code, related
    return None, rows.iloc[0:0]


def _widened(rows: pd.DataFrame, found: pd.DataFrame, broader: list[str]) -> pd.DataFrame:
    """``found`` (tier 0), then the other ``rows`` related to each broader code in turn."""
    parts = [found.assign(_tier=0, _widened="")]
    seen = found.index
    for tier, code in enumerate(broader, start=1):
        extra = rows[rows["source_nace"].map(lambda c, q=code: nace_related(c, q))]
        extra = extra[~extra.index.isin(seen)]
        parts.append(extra.assign(_tier=tier, _widened=nace.describe_level(code)))
        seen = seen.union(extra.index)
    return pd.concat(parts)


def _ranked(rows: pd.DataFrame, query: str | None) -> pd.DataFrame:
    """The rows in :data:`SUGGEST_COLUMNS`, best supported first, one per resource/receiver.

    Rows of a widened search (``_tier`` > 0) follow the code's own rows.
    """
    tiers = rows["_tier"] if "_tier" in rows.columns else pd.Series(0, index=rows.index)
    widened = rows["_widened"] if "_widened" in rows.columns else pd.Series("", index=rows.index)
    count = rows["evidence_count"].astype("int64")
    sources = rows["evidence_sources"].astype("int64")
    distances = (
        rows["source_nace"].map({c: _distance(c, query) for c in set(rows["source_nace"])})
        if query is not None
        else pd.Series(0, index=rows.index)
    )
    matched = (
        rows["source_nace"].map(nace.describe_level)
        if query is not None
        else pd.Series(None, index=rows.index, dtype=object)
    )
    why = [
        _why(int(n), int(k), str(conf), m) + (f" (widened to {w})" if w else "")
        for n, k, conf, m, w in zip(
            count, sources, rows["confidence"], matched, widened, strict=True
        )
    ]
    out = pd.DataFrame(
        {
            "resource": rows["resource"],
            "resource_name": rows["resource_name"],
            "receiver_nace": rows["receiver_nace"],
            "receiver_name": rows["receiver_nace"].map(nace.title),
            "substitutes": rows["substitutes"],
            "confidence": rows["confidence"],
            "source": rows["source"],
            "evidence_count": count,
            "evidence_sources": sources,
            "why": pd.Series(why, index=rows.index, dtype=object),
            "_tier": tiers,
            "_count": -count,
            "_sources": -sources,
            "_conf": rows["confidence"].map(CONFIDENCE_ORDER),
            "_spec": distances,
        }
    )
    agree = out.groupby(["resource", "receiver_nace"])["source"].transform("count")
    keys = ["_tier", "_count", "_sources", "_conf", "_spec", "_agree", "resource", "receiver_nace"]
    out = out.assign(_agree=-agree).sort_values(keys, kind="stable")
    out = out.drop_duplicates(["resource", "receiver_nace"])
    return out[list(SUGGEST_COLUMNS)].reset_index(drop=True)


def receivers(table: pd.DataFrame) -> list[str]:
    """The distinct receiver codes of a :func:`suggest` table, best first."""
    return list(dict.fromkeys(table["receiver_nace"]))
