"""Importing the EEA's E-PRTR facility data and off-site waste transfers as a SymbioMap case.

The European Environment Agency publishes what industrial facilities report under the E-PRTR
Regulation (EC) No 166/2006 and the Industrial Emissions Directive 2010/75/EU. Two layouts of
its tables, as CSV files in a folder or a zip, are read here:

``eea-industrial-reporting``
    The "Industrial Reporting under the IED 2010/75/EU and E-PRTR Regulation (EC) No 166/2006"
    dataset (EU Registry on Industrial Sites with the E-PRTR/LCP data, 2007 onwards; published
    as an Access database whose tables are exported one CSV per table under the table's name):
    ``2_ProductionFacility.csv`` (facilities: ``Facility_INSPIRE_ID``, ``nameOfFeature``,
    ``pointGeometryLat``/``pointGeometryLon``, ``countryCode``, ``mainActivityCode`` = the
    E-PRTR Annex I activity such as ``1(c)``), ``2c_Function.csv`` (``Facility_INSPIRE_ID``,
    ``NACEMainEconomicActivityCode``; optional) and ``2h_OffsiteWasteTransfer.csv``
    (``Facility_INSPIRE_ID``, ``reportingYear``, ``wasteClassificationCode`` HW/NONHW,
    ``wasteTreatmentCode`` R/D, ``totalWasteQuantityTNE`` in tonnes, ``methodCode`` M/C/E,
    ``transboundaryIndicator``, ``ReceivingSite_countryCode``).
``eprtr-v18``
    The older "E-PRTR database" CSV export (``dbo.PUBLISH_*`` views, versions up to v18,
    reporting years 2007-2017): ``dbo.PUBLISH_FACILITYREPORT.csv`` (one row per facility and
    report: ``FacilityReportID``, ``PollutantReleaseAndTransferReportID``, ``FacilityID``,
    ``FacilityName``, ``CountryCode``, ``Lat``, ``Long``, ``NACEMainEconomicActivityCode``,
    ``MainIAActivityCode``), ``dbo.PUBLISH_POLLUTANTRELEASEANDTRANSFERREPORT.csv``
    (``PollutantReleaseAndTransferReportID``, ``ReportingYear``) and
    ``dbo.PUBLISH_WASTETRANSFER.csv`` (``FacilityReportID``, ``WasteTypeCode`` HWIC/HWOC/
    NON-HW, ``WasteTreatmentCode`` R/D, ``MethodBasisCode`` M/C/E, ``Quantity``,
    ``QuantityUnitCode``, ``WasteHandlerPartySiteAddressCountryCode``).

Sources of the layouts (read through the code index, December 2026; none of the EEA files
themselves could be downloaded here):

- EEA, E-PRTR publishing script ``CREATE VIEW PUBLISH_FACILITYREPORT(...)``,
  ``PUBLISH_WASTETRANSFER(...)``, ``PUBLISH_POLLUTANTRELEASEANDTRANSFERREPORT(...)`` (the
  column lists and their order; SQL file in the code index, id 45922595304, database
  ``EPRTRmaster``).
- EEA, ``eea/eprtr2`` (GitHub), ``database/lov_wastetype.csv`` (HW, NON-HW, HWIC "hazardous
  waste within country", HWOC "hazardous waste outside country"), ``lov_wastetreatment.csv``
  (R "destined for recovery", D "destined for disposal") and ``lov_methodbasis.csv`` (M
  measured, C calculated, E estimated), commit 8df9564.
- EEA, E-PRTR dataset page (v9, 2016) table definitions, ACTIVITY and POLLUTANTRELEASE with
  ``MethodBasisCode`` "M/C/E" (eea.europa.eu, ``member-states-reporting-art-7-under-the-european-
  pollutant-release-and-transfer-register-e-prtr-regulation-12``).
- Finnish Environment Institute, ``sykefi/PRTR`` (GitHub): ``api/data_import/queries.py`` (the
  ``2_ProductionFacility`` and ``2h_OffSiteWasteTransfer`` columns it selects) and
  ``api/models/enums.py`` (observed values: ``mainActivityCode`` ``1(a)``, ``2(c)(i)``...,
  ``wasteClassificationCode`` HW/NONHW, ``wasteTreatmentCode`` D/R, ``methodCode`` C/E/M).
- A public extraction module for the v16 release ("eea_t_ied-eprtr_p_2007-2024_v16_r00", DOI
  10.2909/657ac3cb-affa-4295-a4a9-27b4f539adab) pinning the CSV headers of
  ``2_ProductionFacility`` and ``2c_Function`` in their order (code index id 67397778456;
  its repository name is not shown by the index).
- A loader in the code index (id 56468801589, ``euets`` package) listing the
  ``2h_OffsiteWasteTransfer`` fields from ``fileId_EPRTR_LCP`` to ``ReceivingSite_countryName``;
  the column *order* of that file is taken from it and not confirmed against the EEA file.

What E-PRTR reports and what SymbioMap makes of it:

- Quantities are reported per facility, year, hazardous/non-hazardous and recovery/disposal in
  tonnes per year, and only above the reporting thresholds of Article 5(1)(b) (2 t/yr of
  hazardous, 2,000 t/yr of non-hazardous waste; recalled, not read), so a missing transfer is
  not a zero. They become ``t/yr`` supplies of ``supply_kind`` waste. ``quantity_method``
  keeps the reported M/C/E basis as ``measured``, ``calculated`` or ``estimated`` (the least
  direct one when rows to several receivers are added up).
- E-PRTR gives no EWC code, so ``resource`` is *estimated* (``resource_basis``): each E-PRTR
  Annex I activity maps to a List of Waste sub-chapter; non-hazardous transfers get that
  sub-chapter's "wastes not otherwise specified" (``xx yy 99``) entry or, where one stream
  dominates (bottom ash of incinerators, sewage sludge), that stream's code; hazardous transfers
  get a hazardous entry of the same sub-chapter, or ``13 02 08*`` (lubricating oils, the usual
  maintenance waste of any plant) where the sub-chapter has none. The table is
  :data:`ACTIVITY_WASTE`, a SymbioMap estimate; every code in it was checked to exist in the
  List of Waste (Decision 2000/532/EC as amended by 2014/955/EU) as transcribed, with its
  hazard flag, in ``DEFRA/waste-movement-external-api`` ``src/common/constants/ewc-codes.js``
  (commit 9404fd7, 842 codes). The Annex I activity list is Regulation (EC) No 166/2006,
  Annex I (legislation.gov.uk, sectors 1 and 2 read, 3-9 recalled, not read).
- Treatment: D (disposal) sets ``counterfactual`` to ``incineration`` for hazardous and
  ``landfill-nonhazardous`` for non-hazardous waste (SymbioMap estimate: D10 incineration is the
  usual disposal of hazardous industrial waste, D1 landfill that of non-hazardous; a route a
  country bans is refused at scoring and the country's default used). R (recovery) means the
  waste already has a recovery outlet: ``counterfactual`` is ``sold-as-product`` (nothing
  avoided, as for a by-product with a market; conservative) and ``already_recovered`` is true.
- Transfers of hazardous waste abroad (HWOC, ``transboundaryIndicator``) are kept, with
  ``transboundary`` true and the receiving country in ``receiver_country``.
- The reporting year is kept in ``reporting_year``; without ``year`` the latest year in the
  data is read (one year only, so that the flows of several years are never added up). Its
  flows are ``active``: the last reported year stands for the present.
"""

from __future__ import annotations

import argparse
import re
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

from flows import nace as nace_codes
from flows._errors import CaseReadError
from flows.checks.case import build_case
from flows.checks.checker import RawTable
from flows.io.raw_tables import raw_from_frames
from flows.model import Case
from flows.validation import ValidationReport

__all__ = [
    "ACTIVITY_WASTE",
    "LAYOUTS",
    "ActivityWaste",
    "EprtrLayoutError",
    "eprtr_to_case",
    "read_eprtr",
    "run_eprtr",
]

DATASET_TITLE = (
    "European Environment Agency, Industrial Reporting under the Industrial Emissions "
    "Directive 2010/75/EU and European Pollutant Release and Transfer Register Regulation (EC) "
    "No 166/2006"
)
DATASET_URL = "https://industry.eea.europa.eu/download"
"""Download page named by sykefi/PRTR ``api/data_import_main.py`` (not opened here)."""

_CHUNK_ROWS = 200_000
"""Rows read at a time: a country's share of a 1 M-row transfer table is filtered as it is read."""


class EprtrLayoutError(CaseReadError):
    """The files are not an E-PRTR layout SymbioMap knows (file or columns missing)."""


@dataclass(frozen=True)
class _TableSpec:
    """One CSV table of a layout: accepted file names and the columns read from it."""

    key: str
    names: tuple[str, ...]
    required: Mapping[str, str]
    optional: Mapping[str, str]
    needed: bool = True

    def file_names(self) -> str:
        return " or ".join(f"{n}.csv" for n in self.names)


@dataclass(frozen=True)
class Layout:
    """A published layout of the E-PRTR tables."""

    name: str
    description: str
    tables: tuple[_TableSpec, ...]

    def spec(self, key: str) -> _TableSpec:
        return next(t for t in self.tables if t.key == key)


_INDUSTRIAL_REPORTING = Layout(
    "eea-industrial-reporting",
    "EEA Industrial Reporting (IED + E-PRTR), tables exported as CSV",
    (
        _TableSpec(
            "facilities",
            ("2_productionfacility",),
            {
                "Facility_INSPIRE_ID": "facility_id",
                "nameOfFeature": "name",
                "pointGeometryLat": "lat",
                "pointGeometryLon": "lon",
                "countryCode": "country",
                "mainActivityCode": "main_activity",
            },
            {"mainActivityName": "main_activity_name", "city": "city", "fileId_EUReg": "file_id"},
        ),
        _TableSpec(
            "functions",
            ("2c_function",),
            {"Facility_INSPIRE_ID": "facility_id", "NACEMainEconomicActivityCode": "nace"},
            {},
            needed=False,
        ),
        _TableSpec(
            "transfers",
            ("2h_offsitewastetransfer",),
            {
                "Facility_INSPIRE_ID": "facility_id",
                "reportingYear": "year",
                "wasteClassificationCode": "waste_class",
                "wasteTreatmentCode": "treatment",
                "totalWasteQuantityTNE": "quantity",
            },
            {
                "methodCode": "method",
                "transboundaryIndicator": "transboundary",
                "ReceivingSite_countryCode": "receiver_country",
                "Receiver_countryCode": "receiver_country_2",
            },
        ),
    ),
)

_EPRTR_V18 = Layout(
    "eprtr-v18",
    "E-PRTR database CSV export (dbo.PUBLISH_* tables, up to v18)",
    (
        _TableSpec(
            "facilities",
            ("dbo.publish_facilityreport", "publish_facilityreport"),
            {
                "FacilityReportID": "report_id",
                "PollutantReleaseAndTransferReportID": "prtr_id",
                "FacilityID": "facility_id",
                "FacilityName": "name",
                "Lat": "lat",
                "Long": "lon",
                "CountryCode": "country",
                "NACEMainEconomicActivityCode": "nace",
            },
            {
                "MainIAActivityCode": "main_activity",
                "MainIAActivityName": "main_activity_name",
                "City": "city",
            },
        ),
        _TableSpec(
            "reports",
            (
                "dbo.publish_pollutantreleaseandtransferreport",
                "publish_pollutantreleaseandtransferreport",
            ),
            {"PollutantReleaseAndTransferReportID": "prtr_id", "ReportingYear": "year"},
            {},
        ),
        _TableSpec(
            "transfers",
            ("dbo.publish_wastetransfer", "publish_wastetransfer"),
            {
                "FacilityReportID": "report_id",
                "WasteTypeCode": "waste_class",
                "WasteTreatmentCode": "treatment",
                "Quantity": "quantity",
            },
            {
                "MethodBasisCode": "method",
                "QuantityUnitCode": "unit",
                "WasteHandlerPartySiteAddressCountryCode": "receiver_country",
                "WasteHandlerPartyAddressCountryCode": "receiver_country_2",
            },
        ),
    ),
)

LAYOUTS: tuple[Layout, ...] = (_INDUSTRIAL_REPORTING, _EPRTR_V18)
"""The layouts :func:`read_eprtr` recognises, tried in this order."""


@dataclass(frozen=True)
class ActivityWaste:
    """What the off-site waste of an E-PRTR Annex I activity is taken to be.

    Attributes
    ----------
    activity
        Annex I activity (``1(c)``) or sector (``1``).
    label
        The activity in plain words.
    non_hazardous, hazardous
        EWC codes given to its non-hazardous and hazardous transfers.
    nace
        NACE division or class used only when the facility reports no valid NACE code.
    kind
        Site kind (:data:`flows.schema.SITE_KINDS`).
    """

    activity: str
    label: str
    non_hazardous: str
    hazardous: str
    nace: str
    kind: str = "company"


# SymbioMap estimate (see the module docstring); codes checked against the List of Waste.
# fmt: off
ACTIVITY_WASTE: tuple[ActivityWaste, ...] = (
    ActivityWaste("1", "energy sector", "10 01 99", "10 01 18*", "35", "power-plant"),
    ActivityWaste("1(a)", "mineral oil and gas refineries", "05 01 99", "05 01 09*", "19"),
    ActivityWaste("1(d)", "coke ovens", "05 01 99", "05 01 09*", "19"),
    ActivityWaste("2", "production and processing of metals", "10 02 99", "10 02 07*", "24"),
    ActivityWaste("2(f)", "surface treatment of metals and plastics", "11 01 99", "11 01 98*",
                  "25"),
    ActivityWaste("3", "mineral industry (cement, lime)", "10 13 99", "10 13 12*", "23"),
    ActivityWaste("3(a)", "underground mining", "01 04 99", "01 04 07*", "08"),
    ActivityWaste("3(b)", "opencast mining and quarrying", "01 04 99", "01 04 07*", "08"),
    ActivityWaste("3(e)", "glass", "10 11 99", "10 11 15*", "23"),
    ActivityWaste("3(f)", "melting mineral substances", "10 11 99", "10 11 15*", "23"),
    ActivityWaste("3(g)", "ceramic products", "10 12 99", "10 12 09*", "23"),
    ActivityWaste("4", "chemical industry", "07 01 99", "07 01 08*", "20"),
    ActivityWaste("4(e)", "pharmaceutical products", "07 05 99", "07 05 13*", "21"),
    ActivityWaste("5", "waste and waste-water management", "19 12 12", "19 12 11*", "38",
                  "waste-management"),
    ActivityWaste("5(b)", "incineration of non-hazardous waste", "19 01 12", "19 01 07*", "38",
                  "waste-management"),
    ActivityWaste("5(f)", "urban waste-water treatment plants", "19 08 05", "19 08 13*", "37",
                  "wastewater-plant"),
    ActivityWaste("5(g)", "industrial waste-water treatment plants", "19 08 14", "19 08 13*",
                  "37", "wastewater-plant"),
    ActivityWaste("6", "paper and board", "03 03 99", "13 02 08*", "17"),
    ActivityWaste("6(c)", "wood preservation", "03 02 99", "03 02 05*", "16"),
    ActivityWaste("7", "intensive livestock and aquaculture", "02 01 99", "02 01 08*", "01",
                  "farm"),
    ActivityWaste("8", "food and beverage products", "02 03 99", "13 02 08*", "10"),
    ActivityWaste("8(a)", "slaughterhouses", "02 02 99", "13 02 08*", "10"),
    ActivityWaste("8(c)", "treatment and processing of milk", "02 05 99", "13 02 08*", "10"),
    ActivityWaste("9", "other activities (solvent use)", "08 01 99", "08 01 11*", "C"),
    ActivityWaste("9(a)", "pre-treatment or dyeing of fibres or textiles", "04 02 99",
                  "04 02 16*", "13"),
    ActivityWaste("9(b)", "tanning of hides and skins", "04 01 99", "04 01 03*", "15"),
    ActivityWaste("9(e)", "building or painting of ships", "08 01 99", "08 01 17*", "30"),
)
# fmt: on
_UNKNOWN_ACTIVITY = ActivityWaste(
    "", "activity not reported", "20 03 01", "13 02 08*", "C", "company"
)
_BY_ACTIVITY = {a.activity: a for a in ACTIVITY_WASTE}
_ACTIVITY_CODE = re.compile(r"^\s*(\d{1,2})\s*\.?\s*(?:\(?\s*([a-z])\s*\)?)?", re.IGNORECASE)

_METHODS = {"M": "measured", "C": "calculated", "E": "estimated"}
_COUNTRY_ALIASES = {"EL": "GR", "UK": "GB"}
"""EU country codes that differ from ISO 3166 alpha-2 (Greece, United Kingdom)."""
_TONNES_PER_UNIT = {"TNE": 1.0, "T": 1.0, "TONNE": 1.0, "TONNES": 1.0, "KGM": 0.001, "KG": 0.001}
_TRUE = {"true", "1", "yes", "y", "t", "-1"}


def activity_waste(code: object) -> ActivityWaste:
    """The :class:`ActivityWaste` row of an Annex I activity code (``1(c)``, ``1.(c)``, ``5``).

    The most specific row wins (``5(f)`` before sector ``5``); an unknown or missing code gets
    the generic row (mixed municipal-type waste, lubricating oils).
    """
    match = _ACTIVITY_CODE.match(str(code)) if isinstance(code, str) else None
    if match is None:
        return _UNKNOWN_ACTIVITY
    sector, letter = match.group(1).lstrip("0") or "0", match.group(2)
    if letter and f"{sector}({letter.lower()})" in _BY_ACTIVITY:
        return _BY_ACTIVITY[f"{sector}({letter.lower()})"]
    return _BY_ACTIVITY.get(sector, _UNKNOWN_ACTIVITY)


# --- finding the files -------------------------------------------------------------------


class _Files:
    """The CSV files of a folder or a zip, by lower-case name without ``.csv``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.label = path.name
        self._zip: zipfile.ZipFile | None = None
        self.members: dict[str, str] = {}
        if path.is_dir():
            found = sorted(path.rglob("*.csv"), key=lambda p: (len(p.parts), str(p)))
            for file in found:
                self.members.setdefault(file.stem.lower(), str(file))
        elif path.is_file() and zipfile.is_zipfile(path):
            self._zip = zipfile.ZipFile(path)
            names = [n for n in self._zip.namelist() if n.lower().endswith(".csv")]
            for name in sorted(names, key=lambda n: (n.count("/"), n)):
                self.members.setdefault(Path(name).stem.lower(), name)
        else:
            msg = (
                f"{self.label}: not a folder or a zip of the EEA's E-PRTR CSV files; unpack the "
                "download (or give its zip) and point to the folder holding the tables"
            )
            raise EprtrLayoutError(msg)

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()

    def find(self, spec: _TableSpec) -> str | None:
        return next((n for n in spec.names if n in self.members), None)

    def shown(self, key: str) -> str:
        """The member as the user sees it (``download.zip:2h_OffsiteWasteTransfer.csv``)."""
        member = self.members[key]
        if self._zip is not None:
            return f"{self.label}:{member}"
        return str(Path(member).relative_to(self.path))

    def open(self, key: str) -> IO[bytes]:
        member = self.members[key]
        if self._zip is not None:
            return self._zip.open(member)
        return Path(member).open("rb")


def _detect_layout(files: _Files) -> Layout:
    """The layout whose needed tables are all present, or an error naming what is missing."""
    scores = []
    for layout in LAYOUTS:
        needed = [t for t in layout.tables if t.needed]
        present = [t for t in needed if files.find(t) is not None]
        if len(present) == len(needed):
            return layout
        scores.append((len(present), layout, [t for t in needed if t not in present]))
    best, layout, missing = max(scores, key=lambda s: s[0])
    found = ", ".join(sorted(f"{m}.csv" for m in files.members)) or "no CSV files"
    if best == 0:
        expected = "; ".join(
            f"{lay.name}: " + ", ".join(t.names[0] + ".csv" for t in lay.tables if t.needed)
            for lay in LAYOUTS
        )
        msg = (
            f"{files.label}: no E-PRTR tables found (found: {found}). Expected the files of one "
            f"of these layouts - {expected}"
        )
    else:
        msg = (
            f"{files.label}: looks like the {layout.name} layout but lacks "
            + ", ".join(t.file_names() for t in missing)
            + f" (found: {found})"
        )
    raise EprtrLayoutError(msg)


# --- reading one table -------------------------------------------------------------------


def _sniff(head: bytes) -> tuple[str, str]:
    """Encoding and delimiter of a CSV from its first bytes."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
        text = head.decode("utf-16", errors="replace")
    else:
        encoding = "utf-8-sig"
        text = head.decode("utf-8", errors="replace")
    first = text.lstrip("\ufeff").splitlines()[0] if text.strip() else ""
    counts = {sep: first.count(sep) for sep in (",", ";", "\t", "|")}
    return encoding, max(counts, key=lambda s: counts[s])


def _header(files: _Files, key: str, encoding: str, sep: str) -> list[str]:
    with files.open(key) as raw:
        frame = pd.read_csv(
            raw, sep=sep, encoding=encoding, nrows=0, encoding_errors="replace", dtype=str
        )
    return [str(c).strip().lstrip("\ufeff") for c in frame.columns]


def _read_table(
    files: _Files,
    spec: _TableSpec,
    report: ValidationReport,
    *,
    keep: Callable[[pd.DataFrame], pd.Series] | None = None,
) -> pd.DataFrame:
    """Read the columns of ``spec`` from its file, renamed to the internal names.

    Raises
    ------
    EprtrLayoutError
        If a required column is missing; the message names the file and the columns expected
        and found.
    """
    key = files.find(spec)
    if key is None:
        return pd.DataFrame(columns=[*spec.required.values(), *spec.optional.values()])
    shown = files.shown(key)
    try:
        return _read_known(files, key, shown, spec, report, keep=keep)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        msg = f"{shown}: cannot be read as a CSV table ({str(err).strip()})"
        raise EprtrLayoutError(msg) from err


def _read_known(
    files: _Files,
    key: str,
    shown: str,
    spec: _TableSpec,
    report: ValidationReport,
    *,
    keep: Callable[[pd.DataFrame], pd.Series] | None,
) -> pd.DataFrame:
    """:func:`_read_table` once the file is found."""
    with files.open(key) as raw:
        head = raw.read(65536)
    encoding, sep = _sniff(head)
    columns = _header(files, key, encoding, sep)
    lower = {c.lower(): c for c in columns}
    missing = [c for c in spec.required if c.lower() not in lower]
    if missing:
        msg = (
            f"{shown}: not the {spec.key} table of the E-PRTR layout: missing column(s) "
            f"{', '.join(missing)}; expected {', '.join(spec.required)}; found "
            f"{', '.join(columns) or 'no header'}"
        )
        raise EprtrLayoutError(msg)
    wanted = {**spec.required, **spec.optional}
    rename = {lower[c.lower()]: name for c, name in wanted.items() if c.lower() in lower}
    try:
        frame = _read_chunks(files, key, encoding, sep, list(rename), keep=keep, rename=rename)
    except UnicodeDecodeError:
        # The old E-PRTR exports are Windows-1252 (names with accents), not UTF-8.
        report.add(
            file=shown,
            layer=spec.key,
            severity="warning",
            code="W_EPRTR_ENCODING",
            message=f"{shown} is not UTF-8; read as Windows-1252",
            hint="names with accents may be wrong if the file has another encoding",
        )
        frame = _read_chunks(
            files, key, "cp1252", sep, list(rename), keep=keep, rename=rename, errors="replace"
        )
    for col in wanted.values():
        if col not in frame.columns:
            frame[col] = pd.NA
    return frame


def _read_chunks(
    files: _Files,
    key: str,
    encoding: str,
    sep: str,
    usecols: list[str],
    *,
    keep: Callable[[pd.DataFrame], pd.Series] | None,
    rename: Mapping[str, str],
    errors: str = "strict",
) -> pd.DataFrame:
    """Stream a CSV in blocks, keeping only the rows ``keep`` selects (never the whole file)."""
    parts = []
    with files.open(key) as raw:
        reader = pd.read_csv(
            raw,
            sep=sep,
            encoding=encoding,
            encoding_errors=errors,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            chunksize=_CHUNK_ROWS,
        )
        for chunk in reader:
            chunk.columns = [str(c).strip().lstrip("\ufeff") for c in chunk.columns]
            block = chunk[usecols].rename(columns=rename)
            for col in block.columns:
                block[col] = block[col].str.strip()
            if keep is not None:
                block = block.loc[keep(block).to_numpy(dtype=bool)]
            parts.append(block)
    if not parts:
        return pd.DataFrame(columns=list(rename.values()))
    return pd.concat(parts, ignore_index=True)


def _numbers(series: pd.Series) -> pd.Series:
    """Numbers from text, accepting a decimal comma; anything else (CONFIDENTIAL) is NaN."""
    text = series.astype("string").str.replace(",", ".", regex=False)
    return pd.to_numeric(text, errors="coerce").astype("float64")


def _hazardous(classes: pd.Series) -> pd.Series:
    """Whether each waste class is hazardous: HW, HWIC and HWOC are, NONHW (NON-HW) is not;
    anything else (CONFIDENTIAL, blank) is unknown."""
    text = classes.astype("string").str.upper().str.replace("-", "", regex=False).str.strip()
    known = {"HW": True, "HWIC": True, "HWOC": True, "NONHW": False}
    return text.map(known).astype("boolean")


def _country(series: pd.Series) -> pd.Series:
    codes = series.astype("string").str.strip().str.upper()
    return codes.replace(_COUNTRY_ALIASES)


# --- the two layouts to one pair of frames ------------------------------------------------


@dataclass(frozen=True)
class _Selection:
    year: int | None
    countries: frozenset[str] | None
    bbox: tuple[float, float, float, float] | None

    def keep_facilities(self, frame: pd.DataFrame) -> pd.Series:
        keep = pd.Series(True, index=frame.index)
        if self.countries is not None:
            keep &= _country(frame["country"]).isin(self.countries).fillna(False)
        if self.bbox is not None:
            min_lon, min_lat, max_lon, max_lat = self.bbox
            lat, lon = _numbers(frame["lat"]), _numbers(frame["lon"])
            keep &= lat.between(min_lat, max_lat) & lon.between(min_lon, max_lon)
        return keep


def _read_industrial_reporting(
    files: _Files, selection: _Selection, report: ValidationReport
) -> tuple[pd.DataFrame, pd.DataFrame]:
    layout = _INDUSTRIAL_REPORTING
    facilities = _read_table(
        files, layout.spec("facilities"), report, keep=selection.keep_facilities
    )
    # The register may repeat a facility (one row per EU Registry submission): keep the last.
    facilities = facilities.drop_duplicates("facility_id", keep="last")
    ids = set(facilities["facility_id"].dropna())
    functions = _read_table(
        files,
        layout.spec("functions"),
        report,
        keep=lambda f: f["facility_id"].isin(ids),
    )
    nace = functions.dropna(subset=["nace"]).drop_duplicates("facility_id", keep="last")
    facilities = facilities.merge(
        nace[["facility_id", "nace"]], on="facility_id", how="left", validate="one_to_one"
    )
    year = selection.year

    def keep_transfers(frame: pd.DataFrame) -> pd.Series:
        keep = frame["facility_id"].isin(ids)
        if year is not None:
            keep &= _numbers(frame["year"]) == year
        return keep

    transfers = _read_table(files, layout.spec("transfers"), report, keep=keep_transfers)
    transfers["hazardous"] = _hazardous(transfers["waste_class"])
    flag = transfers["transboundary"].astype("string").str.lower()
    transfers["transboundary"] = flag.isin(_TRUE).fillna(False).astype(bool)
    transfers["receiver_country"] = transfers["receiver_country"].fillna(
        transfers["receiver_country_2"]
    )
    transfers["quantity_t"] = _numbers(transfers["quantity"])
    return facilities, transfers


def _read_v18(
    files: _Files, selection: _Selection, report: ValidationReport
) -> tuple[pd.DataFrame, pd.DataFrame]:
    layout = _EPRTR_V18
    reports = _read_table(files, layout.spec("reports"), report)
    year_of = dict(zip(reports["prtr_id"], _numbers(reports["year"]), strict=True))
    facilities = _read_table(
        files, layout.spec("facilities"), report, keep=selection.keep_facilities
    )
    facilities["year"] = facilities["prtr_id"].map(year_of).astype("float64")
    if selection.year is not None:
        facilities = facilities.loc[facilities["year"] == selection.year]
    report_ids = set(facilities["report_id"].dropna())
    transfers = _read_table(
        files,
        layout.spec("transfers"),
        report,
        keep=lambda f: f["report_id"].isin(report_ids),
    )
    by_report = facilities.set_index("report_id")
    transfers["facility_id"] = transfers["report_id"].map(by_report["facility_id"])
    transfers["year"] = transfers["report_id"].map(by_report["year"])
    waste_type = transfers["waste_class"].astype("string").str.upper().str.replace("-", "")
    transfers["hazardous"] = _hazardous(transfers["waste_class"])
    transfers["transboundary"] = (waste_type == "HWOC").fillna(False).astype(bool)
    transfers["receiver_country"] = transfers["receiver_country"].fillna(
        transfers["receiver_country_2"]
    )
    unit = transfers["unit"].astype("string").str.strip().str.upper().fillna("TNE")
    factor = unit.map(_TONNES_PER_UNIT).astype("float64")
    transfers["quantity_t"] = _numbers(transfers["quantity"]) * factor
    bad_unit = factor.isna()
    if bool(bad_unit.any()):
        shown = sorted(set(unit[bad_unit].dropna()))
        report.add(
            file=files.label,
            layer="transfers",
            severity="warning",
            code="W_EPRTR_UNIT",
            message=f"{int(bad_unit.sum())} waste transfers in unknown units {shown} left out",
            hint="E-PRTR reports waste transfers in tonnes (TNE)",
        )
    return facilities, transfers


# --- sites and flows ---------------------------------------------------------------------


def _pick_year(transfers: pd.DataFrame, facilities: pd.DataFrame) -> int | None:
    years = _numbers(transfers["year"]).dropna()
    if years.empty and "year" in facilities.columns:
        years = pd.to_numeric(facilities["year"], errors="coerce").dropna()
    return int(years.max()) if not years.empty else None


def _valid_nace(codes: pd.Series, fallback: pd.Series) -> tuple[pd.Series, pd.Series]:
    """NACE codes valid in Rev. 2.1: the reported code as :func:`flows.nace.resolve` reads it
    (a Rev. 2 code mapped, a class written for a group), else its group or division, else the
    activity's fallback; and a note where the code was changed."""
    lookup: dict[str, str | None] = {}
    why: dict[str, str] = {}
    for code in codes.dropna().unique():
        text = str(code).split(":")[-1]  # "NACE_1.1:21.11" in the EPER years
        found, reason = nace_codes.resolve(text)
        norm = nace_codes.normalise(text) if found is None else None
        while norm:
            if nace_codes.is_valid(norm):
                found, reason = norm, "reported NACE code shortened to one in Rev. 2.1"
                break
            norm = norm[:-1].rstrip(".") if len(norm) > 2 else ""
        lookup[str(code)] = found
        why[str(code)] = reason
    valid = codes.astype("string").map(lookup).astype("string")
    changed = valid.isna() | (valid != codes.astype("string"))
    note = pd.Series(pd.NA, index=codes.index, dtype="string")
    mapped = changed & codes.notna() & valid.notna()
    note[mapped] = codes[mapped].astype("string").map(why)
    note[valid.isna() & codes.notna()] = (
        "reported NACE code not in Rev. 2.1: division of the activity"
    )
    note[codes.isna()] = "no NACE code reported: division of the E-PRTR activity"
    return valid.fillna(fallback.astype("string")), note


def _sites(facilities: pd.DataFrame, report: ValidationReport, label: str) -> pd.DataFrame:
    lat, lon = _numbers(facilities["lat"]), _numbers(facilities["lon"])
    located = lat.notna() & lon.notna()
    if not bool(located.all()):
        report.add(
            file=label,
            layer="sites",
            severity="warning",
            code="W_EPRTR_NO_COORDINATES",
            message=f"{int((~located).sum())} facilities without coordinates left out",
            hint="confidential or missing coordinates cannot be placed on the map",
        )
    facilities = facilities.loc[located]
    lat, lon = lat[located], lon[located]
    codes = facilities["main_activity"].astype("string").fillna("")
    by_code = {code: activity_waste(code) for code in codes.unique()}
    rows = [by_code[code] for code in codes]
    nace, nace_note = _valid_nace(
        facilities["nace"], pd.Series([r.nace for r in rows], index=facilities.index)
    )
    return pd.DataFrame(
        {
            "site_id": facilities["facility_id"].astype("string"),
            "name": facilities["name"].fillna(facilities["facility_id"]).astype("string"),
            "nace": nace,
            "lat": lat,
            "lon": lon,
            "kind": [r.kind for r in rows],
            "country": _country(facilities["country"]),
            "eprtr_activity": facilities["main_activity"].astype("string"),
            "eprtr_activity_name": facilities["main_activity_name"].astype("string"),
            "nace_reported": facilities["nace"].astype("string"),
            "nace_note": nace_note,
            "city": facilities["city"].astype("string"),
        }
    ).reset_index(drop=True)


_METHOD_ORDER = ("measured", "calculated", "estimated", "not stated")
"""Bases from the most to the least direct; a sum of rows has the least direct of its parts."""


def _flows(
    transfers: pd.DataFrame,
    sites: pd.DataFrame,
    report: ValidationReport,
    label: str,
    *,
    source_id: str,
) -> pd.DataFrame:
    transfers = transfers.loc[transfers["facility_id"].isin(set(sites["site_id"]))].copy()
    unusable = transfers["hazardous"].isna() | ~(transfers["quantity_t"] > 0)
    if bool(unusable.any()):
        report.add(
            file=label,
            layer="flows",
            severity="info",
            code="I_EPRTR_TRANSFERS_SKIPPED",
            message=(
                f"{int(unusable.sum())} waste transfers without a positive quantity or a "
                "hazardous/non-hazardous class left out"
            ),
            hint="zero, confidential or unclassified transfers cannot become flows",
        )
    transfers = transfers.loc[~unusable]
    if transfers.empty:
        return pd.DataFrame(columns=["site_id", "direction", "resource", "quantity", "unit"])
    treatment = transfers["treatment"].astype("string").str.upper().str.strip()
    transfers["treatment"] = treatment.where(treatment.isin(["R", "D"]), "not stated")
    transfers["receiver_country"] = _country(transfers["receiver_country"].fillna(""))
    transfers["hazardous"] = transfers["hazardous"].astype(bool)
    method = transfers["method"].astype("string").str.strip().str.upper().map(_METHODS)
    transfers["method_rank"] = method.map(_METHOD_ORDER.index).fillna(len(_METHOD_ORDER) - 1)
    keys = ["facility_id", "hazardous", "treatment", "transboundary"]
    flows = (
        transfers.groupby(keys, sort=True, dropna=False)
        .agg(
            quantity=("quantity_t", "sum"),
            reporting_year=("year", "first"),
            receiver_country=("receiver_country", lambda s: ";".join(sorted(set(s) - {""}))),
            method_rank=("method_rank", "max"),
        )
        .reset_index()
    )
    flows["quantity_method"] = [_METHOD_ORDER[int(r)] for r in flows["method_rank"]]
    codes = sites["eprtr_activity"].fillna("")
    activity_of = dict(zip(sites["site_id"], codes, strict=True))
    by_code = {code: activity_waste(code) for code in codes.unique()}
    rows = [by_code[activity_of[f]] for f in flows["facility_id"]]
    hazardous = flows["hazardous"].to_numpy(dtype=bool)
    flows["resource"] = np.where(
        hazardous, [r.hazardous for r in rows], [r.non_hazardous for r in rows]
    )
    disposal = np.where(hazardous, "incineration", "landfill-nonhazardous")
    recovered = (flows["treatment"] == "R").to_numpy(dtype=bool)
    counterfactual = np.where(
        recovered, "sold-as-product", np.where(flows["treatment"] == "D", disposal, "")
    )
    note = [
        f"E-PRTR {'hazardous' if h else 'non-hazardous'} waste"
        f"{' sent abroad' if t else ''}, destined for "
        f"{ {'R': 'recovery', 'D': 'disposal'}.get(tr, 'an unstated treatment') }; EWC code "
        f"estimated from the Annex I activity ({r.label})"
        for h, t, tr, r in zip(
            hazardous, flows["transboundary"], flows["treatment"], rows, strict=True
        )
    ]
    return pd.DataFrame(
        {
            "site_id": flows["facility_id"].astype("string"),
            "direction": "supply",
            "resource": flows["resource"],
            "quantity": flows["quantity"].round(6),
            "unit": "t/yr",
            "source": source_id,
            "supply_kind": "waste",
            "counterfactual": pd.Series(counterfactual).replace("", pd.NA),
            "reporting_year": pd.to_numeric(flows["reporting_year"], errors="coerce").astype(
                "Int64"
            ),
            "eprtr_waste_class": np.where(hazardous, "HW", "NONHW"),
            "eprtr_treatment": flows["treatment"],
            "already_recovered": recovered,
            "quantity_method": flows["quantity_method"],
            "resource_basis": "estimated",
            "transboundary": flows["transboundary"].astype(bool),
            "receiver_country": flows["receiver_country"].replace("", pd.NA),
            "note": note,
        }
    )


def _tables(
    layout: Layout,
    sites: pd.DataFrame,
    flows: pd.DataFrame,
    *,
    year: int | None,
    countries: frozenset[str] | None,
    version: str | None,
    source_id: str,
) -> dict[str, pd.DataFrame]:
    version_text = f"version {version}" if version else "version not stated"
    year_text = f"reporting year {year}" if year is not None else "no waste transfers"
    sources = pd.DataFrame(
        {
            "source_id": [source_id],
            "citation": [f"{DATASET_TITLE}; {version_text}; {year_text}; {layout.description}"],
            "url": [DATASET_URL],
        }
    )
    where = ", ".join(sorted(countries)) if countries else "all countries in the files"
    keys = ["name", "description", "source_dataset", "layout"]
    values = [
        f"E-PRTR waste transfers, {where}, {year if year is not None else 'no year'}",
        (
            "Facilities and off-site waste transfers imported from the EEA's E-PRTR data; EWC "
            "codes are estimated from each facility's Annex I activity (resource_basis)."
        ),
        f"{DATASET_TITLE} ({version_text})",
        layout.name,
    ]
    site_countries = sorted(set(sites["country"].dropna()))
    if len(site_countries) == 1:
        keys.append("country")
        values.append(site_countries[0])
    if year is not None:
        keys.append("reporting_year")
        values.append(str(year))
    tables = {"sites": sites, "sources": sources}
    tables["metadata"] = pd.DataFrame({"key": keys, "value": values})
    if len(flows):
        tables["flows"] = flows
    return tables


def _selection(
    year: int | None,
    countries: Sequence[str] | str | None,
    bbox: Sequence[float] | None,
) -> _Selection:
    if isinstance(countries, str):
        countries = [countries]
    wanted = None
    if countries is not None:
        wanted = frozenset(
            _COUNTRY_ALIASES.get(c.strip().upper(), c.strip().upper()) for c in countries
        )
    box = None
    if bbox is not None:
        values = tuple(float(v) for v in bbox)
        if len(values) != 4 or values[0] > values[2] or values[1] > values[3]:
            msg = (
                f"bbox {bbox!r}: give min_lon, min_lat, max_lon, max_lat in degrees, minimum first"
            )
            raise ValueError(msg)
        box = (values[0], values[1], values[2], values[3])
    return _Selection(year, wanted, box)


def read_eprtr(
    path: str | Path,
    *,
    year: int | None = None,
    countries: Sequence[str] | str | None = None,
    bbox: Sequence[float] | None = None,
    version: str | None = None,
    report: ValidationReport | None = None,
) -> dict[str, RawTable]:
    """Read E-PRTR facilities and off-site waste transfers into the raw tables of a case.

    Parameters
    ----------
    path
        A folder (searched recursively) or a zip holding the EEA's CSV tables in one of
        :data:`LAYOUTS`.
    year
        Reporting year; default the latest year with waste transfers among the selected
        facilities.
    countries
        ISO 3166 alpha-2 codes of the facilities to keep (``EL``/``UK`` are read as ``GR``/
        ``GB``); default all.
    bbox
        ``(min_lon, min_lat, max_lon, max_lat)`` in degrees (WGS84): only facilities inside.
    version
        Dataset version as the EEA names it (``v16``), for the ``sources`` citation.
    report
        Where notes about left-out rows go (a new report if None).

    Returns
    -------
    dict[str, RawTable]
        ``sites``, ``flows`` (when there are transfers), ``sources`` and ``metadata``, ready for
        :func:`flows.checks.case.build_case`.

    Raises
    ------
    EprtrLayoutError
        If the files are not a known layout: the message names the file and the columns or
        files expected and found.
    ValueError
        If ``bbox`` is not four numbers, minimum first.
    """
    report = report if report is not None else ValidationReport()
    source = Path(path)
    selection = _selection(year, countries, bbox)
    files = _Files(source)
    try:
        layout = _detect_layout(files)
        read = _read_v18 if layout is _EPRTR_V18 else _read_industrial_reporting
        facilities, transfers = read(files, selection, report)
    finally:
        files.close()
    chosen = selection.year if selection.year is not None else _pick_year(transfers, facilities)
    if selection.year is None and chosen is not None:
        transfers = transfers.loc[_numbers(transfers["year"]) == chosen]
        if "year" in facilities.columns and layout is _EPRTR_V18:
            facilities = facilities.loc[facilities["year"] == chosen]
        report.add(
            file=source.name,
            layer="flows",
            severity="info",
            code="I_EPRTR_YEAR",
            message=f"reporting year {chosen} read (the latest in the files)",
            hint="give a year to read another one",
        )
    facilities = facilities.drop_duplicates("facility_id", keep="last")
    sites = _sites(facilities, report, source.name)
    source_id = f"eea-eprtr-{chosen}" if chosen is not None else "eea-eprtr"
    flows = _flows(transfers, sites, report, source.name, source_id=source_id)
    tables = _tables(
        layout,
        sites,
        flows,
        year=chosen,
        countries=selection.countries,
        version=version,
        source_id=source_id,
    )
    return raw_from_frames(tables, label=source.name)


def eprtr_to_case(
    path: str | Path,
    *,
    year: int | None = None,
    countries: Sequence[str] | str | None = None,
    bbox: Sequence[float] | None = None,
    version: str | None = None,
) -> tuple[Case | None, ValidationReport]:
    """Import E-PRTR data as a validated case (see :func:`read_eprtr` for the parameters).

    Returns
    -------
    tuple[Case | None, ValidationReport]
        The case built by :func:`flows.checks.case.build_case` (None if it has errors) and
        every finding of the import and the checks.
    """
    from flows import reference  # noqa: PLC0415 - the reference tables load on first use

    report = ValidationReport()
    raw = read_eprtr(
        path, year=year, countries=countries, bbox=bbox, version=version, report=report
    )
    case = build_case(raw, report, Path(path).name, vocabulary=reference.default().vocabulary)
    return case, report


# --- command line ------------------------------------------------------------------------


def run_eprtr(args: argparse.Namespace) -> int:
    """Run ``import-eprtr``: 0 written, 1 the case has errors, 2 unreadable input or output."""
    import sys  # noqa: PLC0415

    from flows import io as case_io  # noqa: PLC0415 - writers pull geopandas

    try:
        case, report = eprtr_to_case(
            args.path,
            year=args.year,
            countries=args.country,
            bbox=args.bbox,
            version=args.dataset_version,
        )
    except (CaseReadError, OSError, zipfile.BadZipFile) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    shown = [f for f in report if f.severity != "info"]
    for finding in shown:
        print(finding.format())
    print(report.summary())
    if case is None:
        print("nothing written: the imported case has errors", file=sys.stderr)
        return 1
    try:
        written = case_io.write_case(case, args.out)
    except OSError as err:  # CaseWriteError and CaseReadError are OSErrors too
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"wrote {written}: {len(case.sites)} sites, {len(case.flows)} flows")
    return 0
