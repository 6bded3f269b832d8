"""Command line: ``python -m flows validate PATH`` and ``python -m flows convert PATH OUT``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from flows import io
from flows._errors import CaseReadError, CaseWriteError

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_UNREADABLE = 2


def _validate(args: argparse.Namespace) -> int:
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


def _convert(args: argparse.Namespace) -> int:
    try:
        result = io.load_case(args.path)
    except CaseReadError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_UNREADABLE
    if result.case is None:
        print(result.report.format())
        print("nothing written: fix the errors above first", file=sys.stderr)
        return EXIT_INVALID
    try:
        written = io.write_case(result.case, args.out)
    except (CaseWriteError, CaseReadError) as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_UNREADABLE
    print(f"wrote {written}")
    return EXIT_OK


def _template(args: argparse.Namespace) -> int:
    print(f"wrote {io.write_template(args.out)}")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m flows``."""
    parser = argparse.ArgumentParser(
        prog="python -m flows",
        description="Check and convert SymbioMap cases (GeoPackage, Excel, CSV folder or zip).",
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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit code."""
    args = build_parser().parse_args(argv)
    code: int = args.func(args)
    return code
