"""Command line: ``python -m flows validate PATH`` and ``python -m flows convert PATH OUT``."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from flows._errors import CaseReadError, CaseWriteError, ResourceError, SymbioMapError
from geo.cli import add_vehicle_options

if TYPE_CHECKING:
    from flows.allocation import AllocationOptions
    from flows.model import Case
    from flows.pipeline import Analysis
    from geo.routing import RoadNetwork

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_UNREADABLE = 2


def _validate(args: argparse.Namespace) -> int:
    from flows import io  # noqa: PLC0415 - file formats pull geopandas: only when needed

    try:
        result = io.load_case(args.path)
    except CaseReadError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_UNREADABLE
    findings = [f for f in result.report if args.verbose or f.severity != "info"]
    order = {"error": 0, "warning": 1, "info": 2}
    for finding in sorted(findings, key=lambda f: order[f.severity]):
        print(finding.format())
    print(result.report.summary())
    if result.case is not None:
        case = result.case
        print(
            f"{case.name}: {len(case.sites)} sites, {len(case.parks)} parks, "
            f"{len(case.flows)} flows, {len(case.exchanges)} exchanges"
        )
    return EXIT_INVALID if result.report.has_errors else EXIT_OK


def _valid_case(path: str) -> Case | int:
    """The case at ``path``, or the exit code after printing why it cannot be used."""
    from flows import io  # noqa: PLC0415

    try:
        result = io.load_case(path)
    except CaseReadError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_UNREADABLE
    if result.case is None:
        print(result.report.format())
        print("nothing done: fix the errors above first", file=sys.stderr)
        return EXIT_INVALID
    return result.case


def _convert(args: argparse.Namespace) -> int:
    from flows import io  # noqa: PLC0415

    case = _valid_case(args.path)
    if isinstance(case, int):
        return case
    notes: list[str] = []
    try:
        written = io.write_case(case, args.out, notes=notes)
    except (CaseWriteError, CaseReadError) as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_UNREADABLE
    print(f"wrote {written}")
    for note in notes:  # what was changed to keep the file safe (control characters, ...)
        print(f"note: {note}")
    return EXIT_OK


def _template(args: argparse.Namespace) -> int:
    from flows import io  # noqa: PLC0415

    print(f"wrote {io.write_template(args.out)}")
    return EXIT_OK


_RESULT_SUFFIXES = frozenset({".gpkg", ".csv", ".parquet"})


@contextlib.contextmanager
def _native_output_silenced() -> Iterator[None]:
    """Send what native code prints to standard output to nowhere for a while.

    scipy's bundled HiGHS prints debugging lines (``transformNewIntegerFeasibleSolution``)
    on large plans with C's printf, past Python's ``sys.stdout``; the command's own output must
    stay readable. The command line is one thread, so redirecting the descriptor is safe here
    (the app does not do it: its sessions are threads of one process).
    """
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with Path(os.devnull).open("wb") as sink:
            os.dup2(sink.fileno(), 1)
            yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def _analysis(
    args: argparse.Namespace, *, suffixes: frozenset[str] = _RESULT_SUFFIXES
) -> tuple[Case, Analysis, RoadNetwork | None] | int:
    """The case, its analysis as the command's options ask and the road network it used
    (or an exit code)."""
    from flows import pipeline  # noqa: PLC0415 - heavier imports
    from geo import cli as geo_cli  # noqa: PLC0415
    from geo import network as geo_network  # noqa: PLC0415
    from geo.routing import RoadNetwork  # noqa: PLC0415

    out = Path(args.out)
    if out.suffix.lower() not in suffixes:
        allowed = ", ".join(sorted(suffixes))
        print(f"error: {out.name}: --out must end in {allowed}", file=sys.stderr)
        return EXIT_UNREADABLE
    case = _valid_case(args.path)
    if isinstance(case, int):
        return case
    road = None
    if args.network:
        # Freight goes by ways a lorry may use; pipes along roads use the whole graph.
        road = RoadNetwork.from_graph(
            geo_network.open_network(args.network), vehicle=geo_cli.vehicle_from_args(args)
        )
    options = pipeline.AnalysisOptions(
        max_km=args.max_km,
        include_inferred=args.include_inferred,
        carbon_price_eur_per_t=args.carbon_price,
        year=args.year,
    )
    analysis = pipeline.analyse(case, network=road, options=options)
    if analysis.year_note:
        print(analysis.year_note)
    return case, analysis, road


def _match(args: argparse.Namespace) -> int:
    from flows import exports, privacy, summary  # noqa: PLC0415 - heavier imports

    found = _analysis(args)
    if isinstance(found, int):
        return found
    case, analysis, _ = found
    tier = privacy.check_tier(args.tier)
    shown = analysis.view(tier=tier)
    notes: list[str] = []
    written = exports.write_candidates(
        shown, case, Path(args.out), parameters=analysis.parameters, notes=notes
    )
    print(summary.summary_table(shown, analysis.totals(tier=tier)))
    print(
        f"{len(analysis)} candidates ({analysis.parameter_set}, reference year {analysis.year}, "
        f"{tier} view); wrote {written}"
    )
    for note in notes:  # what was changed to keep the file safe (formula-like text, ...)
        print(f"note: {note}")
    return EXIT_OK


def _plan(args: argparse.Namespace) -> int:
    from flows import allocation, exports, privacy  # noqa: PLC0415 - heavier imports

    found = _analysis(args)
    if isinstance(found, int):
        return found
    case, analysis, road = found
    tier = privacy.check_tier(args.tier)
    options = _plan_options(args, analysis)
    networks = (
        analysis.shared_heat_networks(case, tier=tier, road=road) if args.heat_networks else []
    )
    try:
        with _native_output_silenced():
            plan = analysis.plan(tier=tier, options=options, networks=networks)
    except allocation.AllocationError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_INVALID
    chosen = plan.chosen
    bands = None
    if args.draws:
        from flows import uncertainty  # noqa: PLC0415 - only with --draws

        bands = uncertainty.monte_carlo(
            analysis,
            draws=args.draws,
            seed=args.seed,
            plan_options=options,
            plan=plan,
            case=case,
            tier=tier,
            networks=networks,
        )
        p_pays = bands.links.set_index("candidate_id")["p_pays"]
        chosen = chosen.assign(p_pays=chosen["candidate_id"].astype(str).map(p_pays).to_numpy())
    notes: list[str] = []
    written = exports.write_candidates(
        chosen, case, Path(args.out), parameters=analysis.parameters, notes=notes
    )
    for line in allocation.plan_lines(plan):
        print(line)
    for row in plan.networks.itertuples():
        state = "built" if row.built else "offered, not built"
        print(
            f"Shared heat network {row.network_id}: {state}; {row.length_m / 1000:,.1f} km, "
            f"{row.carried_mwh_per_yr:,.0f} MWh/yr carried in the plan, "
            f"{row.annual_cost_eur_per_yr:,.0f} EUR/yr"
        )
    if bands is not None:
        print(
            f"Uncertainty ({bands.draws} draws, seed {bands.seed}, "
            f"{bands.elapsed_s:.1f} s): P10 / P50 / P90"
        )
        print(bands.kpis.to_string(float_format=lambda v: f"{v:,.0f}"))
    print(
        f"{len(plan.chosen)} links ({analysis.parameter_set}, reference year {analysis.year}, "
        f"{tier} view); wrote {written}"
    )
    for note in notes:
        print(f"note: {note}")
    return EXIT_OK


def _plan_options(args: argparse.Namespace, analysis: Analysis) -> AllocationOptions:
    from flows import allocation  # noqa: PLC0415 - heavier imports

    return allocation.AllocationOptions(
        objective=args.objective,
        carbon_price_eur_per_t=analysis.parameters["carbon.price"],
        min_share=args.min_share,
        exclude_sites=tuple(args.exclude or ()),
        force=tuple(args.force or ()),
    )


def _report(args: argparse.Namespace) -> int:
    import pandas as pd  # noqa: PLC0415 - heavier imports

    from flows import allocation, ledger, privacy  # noqa: PLC0415

    found = _analysis(args, suffixes=frozenset(ledger.LEDGER_SUFFIXES))
    if isinstance(found, int):
        return found
    case, analysis, _ = found
    tier = privacy.check_tier(args.tier)
    try:
        if args.no_plan:
            plan = None
        elif args.plan:
            plan = allocation.read_plan(analysis.candidates, args.plan)
        else:
            # planned on what the tier may see, as the app's Report page does
            with _native_output_silenced():
                plan = analysis.plan(tier=tier, options=_plan_options(args, analysis))
        totals = pd.read_csv(args.reference_totals) if args.reference_totals else None
        regions = (
            ledger.read_regions(args.regions, name_column=args.region_name)
            if args.regions
            else None
        )
        book = ledger.build_ledger(
            case, analysis, plan, tier=tier, reference_totals=totals,
            transport_paid_by=args.transport_paid_by, regions=regions,
        )  # fmt: skip
    except (allocation.AllocationError, ledger.LedgerError, OSError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_INVALID
    notes: list[str] = []
    try:
        written = ledger.write_ledger(book, Path(args.out), case=case, notes=notes)
    except CaseWriteError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_UNREADABLE
    # one column per status (in place, new, planned), one row per figure
    whole = book.totals().set_index("ledger_status").T
    print(whole.to_string(float_format=lambda v: f"{v:,.0f}", na_rep="-"))
    print(
        f"{len(book.records)} records ({analysis.parameter_set}, reference year {analysis.year}, "
        f"{tier} view); wrote {written}"
    )
    for line in book.withheld_summary():
        print(f"withheld: {line}")
    if book.outside_regions:
        print(
            f"note: {len(book.outside_regions)} sites lie outside every region of "
            f"{Path(args.regions).name}: {', '.join(book.outside_regions)}"
        )
    for note in notes:
        print(f"note: {note}")
    return EXIT_OK


def _network(args: argparse.Namespace) -> int:
    from geo import network as geo_network  # noqa: PLC0415 - osmnx: only for this command

    out = Path(args.out)
    if out.suffix.lower() not in {".graphml", ".gpkg"}:
        print(f"error: {out.name}: --out must end in .graphml or .gpkg", file=sys.stderr)
        return EXIT_INVALID
    case = _valid_case(args.path)
    if isinstance(case, int):
        return case
    graph = geo_network.graph_around(case.sites, margin_m=args.margin_m, cache_dir=args.cache_dir)
    written = geo_network.save_network(graph, out)
    print(f"{geo_network.summarize(graph).format()}; wrote {written}")
    return EXIT_OK


def _parks(args: argparse.Namespace) -> int:
    from geo import osm  # noqa: PLC0415 - osmnx: only for this command

    out = Path(args.out)
    if out.suffix.lower() not in osm.AREA_DRIVERS:
        print(f"error: {out.name}: --out must end in .gpkg or .geojson", file=sys.stderr)
        return EXIT_INVALID
    case = _valid_case(args.path)
    if isinstance(case, int):
        return case
    areas = osm.industrial_areas_around(
        case.sites, margin_m=args.margin_m, cache_dir=args.cache_dir
    )
    if len(areas) == 0:
        print("warning: OpenStreetMap has no industrial or port area there", file=sys.stderr)
    written = osm.save_areas(areas, out)
    print(f"{len(areas)} industrial areas around {case.name}'s sites; wrote {written}")
    return EXIT_OK


def _add_download_options(parser: argparse.ArgumentParser) -> None:
    from datasets.settings import DEFAULT_DOWNLOAD_MARGIN_M  # noqa: PLC0415 - kept with its commands

    parser.add_argument("path", help="the case: the area around its sites is downloaded")
    parser.add_argument(
        "--margin-m",
        type=float,
        default=DEFAULT_DOWNLOAD_MARGIN_M,
        help=f"metres beyond the outermost sites (default {DEFAULT_DOWNLOAD_MARGIN_M:g})",
    )
    parser.add_argument(
        "--cache-dir", help="download cache (default $SYMBIOMAP_CACHE_DIR or ~/.cache/symbiomap)"
    )


def _suggest(args: argparse.Namespace) -> int:
    from flows import library  # noqa: PLC0415

    try:
        table = library.suggest(nace_code=args.nace, resource=args.resource, widen=args.widen)
    except (ValueError, ResourceError) as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_INVALID
    note = table.attrs.get("note", "")
    if args.format == "csv":
        if note:
            print(f"note: {note}", file=sys.stderr)  # stdout stays a clean CSV
        table.to_csv(sys.stdout, index=False)
        return EXIT_OK
    if note:
        print(f"note: {note}")
    if table.empty:
        # suggest already widened the code up to its section; only the resource can go
        tip = "; try without --resource" if args.nace and args.resource else ""
        print(f"the library has no synergy for that{tip}")
        return EXIT_OK
    print("best supported first (documented exchanges, sources, library confidence):")
    for rank, row in enumerate(table.itertuples(index=False), start=1):
        print(
            f"{rank:3d}. {row.resource} ({_short(row.resource_name)}) -> "
            f"{row.receiver_nace} {_short(row.receiver_name)}"
        )
        print(f"     why: {row.why}; source: {row.source}")
    return EXIT_OK


def _short(text: str, limit: int = 60) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis, for one-line listings."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _add_analysis_options(parser: argparse.ArgumentParser) -> None:
    """The options every command that runs an analysis takes (match, plan)."""
    parser.add_argument("path", help="the case")
    parser.add_argument("--network", help="road network (.graphml/.gpkg or OSM .osm/.pbf)")
    parser.add_argument("--max-km", type=float, help="one maximum distance for every resource")
    parser.add_argument(
        "--include-inferred",
        action="store_true",
        help="also suggest exchanges inferred from sector codes (flagged)",
    )
    parser.add_argument("--carbon-price", type=float, help="EUR per t CO2e (default: the set's)")
    add_vehicle_options(parser)
    parser.add_argument(
        "--year",
        type=int,
        help="reference year: only what exists in it is matched (default: the current year)",
    )
    parser.add_argument(
        "--out", required=True, help="target .gpkg or .parquet (GeoParquet lines), or .csv"
    )
    parser.add_argument(
        "--tier",
        choices=("owner", "public"),
        default="public",
        help="who may see the output: public (default) withholds the quantities of confidential "
        "flows and every figure derived from them; owner shows everything",
    )


def _add_plan_options(parser: argparse.ArgumentParser) -> None:
    """The options of a cluster plan (plan, report)."""
    parser.add_argument(
        "--objective",
        choices=("benefit", "co2", "mixed"),
        default="mixed",
        help="maximise the money (benefit), the CO2e avoided (co2), or the money plus the "
        "carbon price times the CO2e (mixed, the default)",
    )
    parser.add_argument(
        "--min-share",
        type=float,
        default=0.0,
        help="a realised link carries at least this share of its candidate's quantity (0-1)",
    )
    parser.add_argument("--exclude", nargs="*", metavar="SITE", help="sites left out of new links")
    parser.add_argument("--force", nargs="*", metavar="CANDIDATE", help="candidate ids to realise")


def _add_case_builders(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``region`` and ``import-eprtr``: cases built from bundled layers or EEA files."""
    from flows.region import add_region_parser  # noqa: PLC0415 - standard library only

    add_region_parser(sub)
    eprtr = sub.add_parser(
        "import-eprtr",
        help="import EEA E-PRTR facilities and waste transfers as a case",
        description=(
            "Read the EEA's E-PRTR / Industrial Reporting CSV tables (a folder or a zip) and "
            "write a case: facilities as sites, off-site waste transfers as supplies in t/yr."
        ),
    )
    eprtr.add_argument("path", help="folder or zip of the EEA CSV files")
    eprtr.add_argument("--year", type=int, help="reporting year (default: the latest)")
    eprtr.add_argument(
        "--country", nargs="*", metavar="CC", help="ISO 3166 alpha-2 codes to keep (BE NL ...)"
    )
    eprtr.add_argument(
        "--bbox",
        nargs=4,
        type=float,
        metavar=("W", "S", "E", "N"),
        help="keep facilities in this box (degrees, as for `region`)",
    )
    eprtr.add_argument("--version", dest="dataset_version", help="dataset version, e.g. v16")
    eprtr.add_argument("--out", required=True, help=".gpkg, .xlsx, .zip or a folder")
    eprtr.set_defaults(func=_import_eprtr)


def _import_eprtr(args: argparse.Namespace) -> int:
    from flows.io import eprtr  # noqa: PLC0415 - pandas and the readers: only when run

    return eprtr.run_eprtr(args)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m flows``."""
    parser = argparse.ArgumentParser(
        prog="python -m flows",
        description=(
            "SymbioMap cases (GeoPackage, Excel, CSV folder or zip): check, convert, build "
            "from a region or EEA files, match, plan and report."
        ),
    )
    sub = parser.add_subparsers(dest="command", required=True)
    validate = sub.add_parser(
        "validate",
        help="check a case; exit 0 if it has no errors, 1 if it has, 2 if it cannot be read",
    )
    validate.add_argument("path", help="a .gpkg, .xlsx, .zip or a folder of CSV/GeoJSON files")
    validate.add_argument("-v", "--verbose", action="store_true", help="also print notes")
    validate.set_defaults(func=_validate)
    convert = sub.add_parser("convert", help="convert a case to another format")
    convert.add_argument("path", help="the case to read")
    convert.add_argument("out", help="target: .gpkg, .xlsx, .zip, or a folder path")
    convert.set_defaults(func=_convert)
    template = sub.add_parser("template", help="write the blank Excel template")
    template.add_argument("out", help="target .xlsx")
    template.set_defaults(func=_template)
    match = sub.add_parser("match", help="find and score candidate exchanges in a case")
    _add_analysis_options(match)
    match.set_defaults(func=_match)
    plan = sub.add_parser(
        "plan", help="the best set of exchanges: each supply and demand used once at most"
    )
    _add_analysis_options(plan)
    _add_plan_options(plan)
    plan.add_argument(
        "--draws",
        type=int,
        default=0,
        help="Monte Carlo draws of prices, factors and quantities for P10-P90 bands and each "
        "link's probability to pay (ranges: datasets/reference/uncertainty.csv; below the "
        "owner tier, withheld candidates take no part)",
    )
    plan.add_argument("--seed", type=int, default=0, help="seed of the draws (reproducible)")
    plan.add_argument(
        "--heat-networks",
        action="store_true",
        help="offer shared heat networks (three or more heat sites within reach, one tree of "
        "pipes) to the plan as yes/no decisions beside the point-to-point pipes",
    )
    plan.set_defaults(func=_plan)
    report = sub.add_parser(
        "report",
        help="the transaction ledger: an outgoing and an incoming record per exchange, "
        "consolidated per site, park, region, family and year",
    )
    _add_analysis_options(report)
    _add_plan_options(report)
    report.add_argument(
        "--plan", help="a plan written by `flows plan` (default: plan now with --objective)"
    )
    report.add_argument(
        "--no-plan", action="store_true", help="only the exchanges in place and planned"
    )
    report.add_argument(
        "--reference-totals",
        help="CSV of company totals (site_id, kind: waste_t|water_m3|energy_mwh, total) for "
        "the share of each company's own total",
    )
    report.add_argument(
        "--transport-paid-by",
        choices=("provider", "receiver"),
        default="provider",
        help="whose record books transport and pipe investment (default: provider)",
    )
    report.add_argument(
        "--regions",
        help="a regions layer (GeoJSON, GeoPackage: polygons with a name column, e.g. NUTS-3 "
        "or municipalities) for the per-region consolidation instead of the sites' region",
    )
    report.add_argument(
        "--region-name",
        help="the regions layer's name column (default: region, name, NAME, NUTS_NAME...)",
    )
    report.set_defaults(func=_report)
    suggest = sub.add_parser("suggest", help="what the synergy library says a sector could do")
    suggest.add_argument("--nace", help="source sector (division 24, group 24.1 or class 24.10)")
    suggest.add_argument("--resource", help="an EWC code or a carrier")
    suggest.add_argument("--format", choices=("table", "csv"), default="table")
    suggest.add_argument(
        "--widen",
        action="store_true",
        help="after the sector's own rows, list those of its group, division and section",
    )
    suggest.set_defaults(func=_suggest)
    # exit codes as everywhere here; an unreachable OpenStreetMap is 2, like `python -m geo`
    net = sub.add_parser(
        "network", help="download the road network around a case's sites (OpenStreetMap)"
    )
    _add_download_options(net)
    net.add_argument("--out", required=True, help="target .graphml (osmnx) or .gpkg (QGIS)")
    net.set_defaults(func=_network)
    parks = sub.add_parser(
        "parks", help="download the industrial and port areas around a case's sites"
    )
    _add_download_options(parks)
    parks.add_argument("--out", required=True, help="target .gpkg or .geojson")
    parks.set_defaults(func=_parks)
    _add_case_builders(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit code."""
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (``| head``): not an error. Point stdout at devnull so the
        # interpreter's own flush at exit does not raise again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except SymbioMapError as err:  # a bad network file, library or parameter: say it plainly
        print(f"error: {err}", file=sys.stderr)
        return EXIT_UNREADABLE if isinstance(err, OSError) else EXIT_INVALID
    return code
