"""The synergy library: which sectors' outputs have fed which sectors' inputs, with sources."""

from __future__ import annotations

import os
from pathlib import Path

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
)


class LibraryError(SymbioMapError, ValueError):
    """The synergy library file is malformed (names the row and field)."""


def load_library(
    path: str | os.PathLike[str] | None = None, *, vocabulary: resources.Vocabulary | None = None
) -> pd.DataFrame:
    """Read and check the synergy library (default: the bundled one).

    Codes are normalised (NACE dotted, EWC in ``10 01 05`` form) with ``vocabulary`` (default:
    the bundled EWC list and carriers); numbers become floats.

    Raises
    ------
    LibraryError
        If a column is missing, a code is invalid, a source is empty or a number is not one.
    """
    file = Path(path) if path is not None else LIBRARY_PATH
    return _load(file, vocabulary or resources.read_vocabulary())


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
        for col in ("source_nace", "receiver_nace"):
            if not nace.is_valid(getattr(row, col)):
                problems.append(f"row {pos}, {col}: {getattr(row, col)!r} is not a NACE code")
        try:
            vocabulary.normalise(row.resource)
        except ResourceError as err:
            problems.append(f"row {pos}, resource: {err}")
        if not row.source:
            problems.append(f"row {pos}, source: empty; every row cites its source")
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


def nace_related(code: str, other: str) -> bool:
    """Whether two NACE codes are the same activity at different levels (``24`` ~ ``24.10``)."""
    a, b = nace.normalise(code), nace.normalise(other)
    if a is None or b is None:
        return False
    if a.isalpha() or b.isalpha():
        return nace.is_valid(a) and nace.is_valid(b) and nace.section_of(a) == nace.section_of(b)
    short, long = sorted((a, b), key=len)
    return long.startswith(short)  # "24" ~ "24.1" ~ "24.10": dotted codes nest by prefix


def _specificity(code: str, query: str) -> int:
    """0 when a row's code equals the query, growing as the levels differ."""
    return abs(len(nace.normalise(code) or "") - len(nace.normalise(query) or ""))


def suggest(
    *,
    nace_code: str | None = None,
    resource: str | None = None,
    library: pd.DataFrame | None = None,
    vocabulary: resources.Vocabulary | None = None,
) -> pd.DataFrame:
    """What a sector's outputs could feed, or (with ``resource`` alone) who could take it.

    Parameters
    ----------
    nace_code
        Source sector at any NACE level (``24``, ``24.1``, ``24.10``).
    resource
        An EWC code or a carrier; with ``nace_code``, only that output.
    library
        The library to search (default: the bundled one).
    vocabulary
        The EWC list and carriers ``resource`` is read with (default: the bundled ones).

    Returns
    -------
    DataFrame
        :data:`SUGGEST_COLUMNS`, most likely first: confidence, then how exactly the sector
        matched, then how many library rows agree.

    Raises
    ------
    ValueError
        If neither argument is given or the NACE code is not valid.
    """
    if nace_code is None and resource is None:
        msg = "give a NACE code, a resource, or both"
        raise ValueError(msg)
    lib = load_library() if library is None else library
    rows = lib
    if nace_code is not None:
        if not nace.is_valid(nace_code):
            msg = f"{nace_code!r} is not a NACE Rev. 2.1 code"
            raise ValueError(msg)
        rows = rows[rows["source_nace"].map(lambda c: nace_related(c, nace_code))]
    if resource is not None:
        words = vocabulary or resources.read_vocabulary()
        rows = rows[rows["resource"] == words.normalise(resource)]
    out = pd.DataFrame(
        {
            "resource": rows["resource"],
            "resource_name": rows["resource_name"],
            "receiver_nace": rows["receiver_nace"],
            "receiver_name": rows["receiver_nace"].map(nace.title),
            "substitutes": rows["substitutes"],
            "confidence": rows["confidence"],
            "source": rows["source"],
            "_conf": rows["confidence"].map(CONFIDENCE_ORDER),
            "_spec": rows["source_nace"].map(lambda c: _specificity(c, nace_code))
            if nace_code is not None
            else 0,
        }
    )
    agree = out.groupby(["resource", "receiver_nace"])["source"].transform("count")
    out = out.assign(_agree=-agree).sort_values(
        ["_conf", "_spec", "_agree", "resource", "receiver_nace"], kind="stable"
    )
    out = out.drop_duplicates(["resource", "receiver_nace"])
    return out[list(SUGGEST_COLUMNS)].reset_index(drop=True)
