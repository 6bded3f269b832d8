"""Checks of the exchanges table: existing exchanges between sites, their amounts and years."""

from __future__ import annotations

import pandas as pd

from datasets.settings import InputLimits
from flows.checks.checker import Checker, RawTable, extras_frame, finish
from flows.checks.period import check_period
from flows.checks.quantities import check_quantities
from flows.checks.references import site_references
from flows.checks.resource_column import resource_values, with_family
from flows.resources import Vocabulary
from flows.validation import ValidationReport


def check_exchanges(
    raw: RawTable,
    report: ValidationReport,
    site_ids: set[str] | None,
    *,
    vocabulary: Vocabulary,
    limits: InputLimits | None = None,
) -> pd.DataFrame | None:
    """Check the exchanges table against the known site ids (None: ids unknown, not checked).

    ``limits`` bounds what is parsed, e.g. the length of a unit (default
    ``settings.get().limits``).
    """
    checker = Checker(raw, report)
    if not checker.normalise_columns():
        return None
    from_site = checker.text("from_site")
    to_site = checker.text("to_site")
    for col, values in (("from_site", from_site), ("to_site", to_site)):
        checker.require_values(col, values)
        if site_ids is not None:
            site_references(checker, col, values, site_ids)
    same = from_site.notna() & (from_site == to_site)
    for row in checker.rows(same):
        checker.add(
            "warning",
            "W_SELF_EXCHANGE",
            "from_site and to_site are the same site",
            "an internal loop is not a symbiosis exchange; check the ids",
            row=row,
            field="to_site",
        )
    res = resource_values(checker, vocabulary=vocabulary)
    qty, unit, canonical, canonical_unit = check_quantities(
        checker, res, vocabulary=vocabulary, required=False, limits=limits
    )
    status, since, end_year = check_period(checker, start_column="since")
    out = pd.DataFrame(
        {
            "from_site": from_site,
            "to_site": to_site,
            "resource": res,
            "quantity": qty,
            "unit": unit,
            "mode": checker.choice("mode").astype("string"),
            "since": since,
            "status": status,
            "end_year": end_year,
            "source": checker.text("source"),
        }
    )
    out = pd.concat([out, extras_frame(checker)], axis=1)
    out["quantity_canonical"] = canonical
    out["unit_canonical"] = canonical_unit
    return finish(checker, with_family(out, vocabulary=vocabulary))
