"""The privacy gate: the one place that decides what a viewer may see.

Every table, map layer, tooltip, file export, total and explanation of a case or an analysis
passes through :func:`view` (or the helpers it dispatches to) with the viewer's tier; no other
module masks. Tiers:

``owner``
    The people who supplied the data: everything.
``public``
    Anybody else (a workshop audience, a shared file, a published map). A flow marked
    ``confidential`` shows *that* it exists (site, resource, direction) but not how much, and no
    figure from which its quantity could be recomputed: on every candidate row that involves a
    confidential flow, the quantities, tonne-km, money (EUR/yr), CO2e, and break-even distance
    (a pipeline's depends on the quantity) are withheld, the explanation says so, and
    the row is marked ``withheld``. Totals are summed over the rows that are not withheld only,
    and say how many rows they leave out, so no difference of two totals isolates a hidden row.
    Exchanges whose quantity would repeat a confidential flow's (same site and resource on the
    confidential side) have their quantity withheld too.

Aggregates
----------
A consolidated total (a ledger's per park, region, family, year or whole-case sums) may include
confidential contributions for a lower tier only through :func:`release_aggregates`, which
follows the practice of official statistics for magnitude tables (Hundepool et al.,
*Statistical Disclosure Control*, Wiley 2012, ch. 4, read in its online edition, the ESSnet
"Handbook on Statistical Disclosure Control", https://sdctools.github.io/HandbookSDC/,
section 4.1-4.2; the tau-Argus manual, section 2.2 "Sensitive cells in magnitude tables"):

* **primary suppression**: a cell's hidden part (what it adds to the figures the tier sees
  anyway) is released only if it comes from at least ``min_companies`` distinct companies with
  a non-zero contribution (the minimum-frequency rule; :data:`datasets.settings.
  PUBLIC_MIN_COMPANIES`, 3) and its ``dominance_n`` largest contributors make up at most
  ``dominance_k_pct`` % of it (the (n,k) dominance rule, computed on absolute contributions
  since net figures can be negative, as Statistics Norway's GaussSuppression ``MagnitudeRule``
  does). The defaults n = 1, k = 85 % are a SymbioMap choice within the range the handbook
  discusses (its exact recommended values: recalled, not read);
* **secondary (complementary) suppression** by an exact linear audit: every released figure
  is an equation in the hidden exchanges' quantities. The audit assumes the strongest linear
  attacker: one who knows every published factor, so each figure of a hidden exchange is a
  known multiple of its quantity, and who may be a party to some exchanges (a company knows
  the quantities it sends and receives). Candidate figures are added in order of usefulness
  (whole case first, then year, region, park, family, site; headline figures first) and a
  figure is withheld if, with it, any attacker could solve for a hidden exchange's quantity,
  a company's hidden contribution to a cell, or a cell withheld by the primary rule (the Gauss
  elimination view of secondary suppression, as in GaussSuppression). Differences of totals
  within one consolidation and across consolidations sharing a total are covered because every
  released cell of every consolidation is in the same system.

Ledger records of confidential flows stay withheld; only the aggregates are released.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal, TypeVar, get_args

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from datasets.settings import PUBLIC_MIN_COMPANIES
from flows import summary
from flows._errors import SymbioMapError
from flows.frames import arrow_text, fixed
from flows.model import Case
from flows.scoring import SCORE_COLUMNS, TEXT_SCORE_COLUMNS

Tier = Literal["owner", "public"]
TIERS: tuple[Tier, ...] = get_args(Tier)
DEFAULT_TIER: Tier = "public"
"""Shared outputs default to the safe tier; the owner asks for everything explicitly."""

TIER_LABELS: Mapping[Tier, str] = {
    "owner": "Owner: every figure, including confidential flows",
    "public": "Public: confidential quantities and the figures derived from them withheld",
}

WITHHELD_COLUMNS = (
    "supply_quantity",
    "demand_quantity",
    "quantity",
    # a plan's flow on a link is a quantity too (flows.allocation.PLAN_COLUMNS)
    "planned_flow",
    "planned_share",
    "plan_value",
    "plan_co2e_t",
    *(
        c
        for c in SCORE_COLUMNS
        if c not in {"rank", "parameter_set", "explanation", *TEXT_SCORE_COLUMNS}
    ),
)
"""Candidate columns withheld in ``public`` for rows that involve a confidential flow: the
quantities and every figure scoring adds (a new score column is withheld unless listed here as
safe), but the rank, the parameter set and the explanation (rewritten instead)."""

WITHHELD_TEXT = "figures withheld: this exchange involves a confidential flow"

Frame = TypeVar("Frame", bound=pd.DataFrame)


class TierError(SymbioMapError, ValueError):
    """An unknown viewer tier."""


def check_tier(tier: str) -> Tier:
    """Return ``tier`` if it is one of :data:`TIERS`.

    Raises
    ------
    TierError
        Naming the tiers that exist.
    """
    if tier not in TIERS:
        msg = f"unknown viewer tier {tier!r}; use one of {', '.join(TIERS)}"
        raise TierError(msg)
    return tier


def _secret(frame: pd.DataFrame) -> np.ndarray:
    if "confidential" not in frame:
        return np.zeros(len(frame), dtype=bool)
    secret: np.ndarray = frame["confidential"].fillna(False).to_numpy(dtype=bool)
    return secret


def candidates(frame: Frame, *, tier: Tier) -> Frame:
    """Scored candidates as ``tier`` may see them (a copy; ``owner`` gets them unchanged).

    Adds a boolean ``withheld`` column (True where figures were withheld).
    """
    check_tier(tier)
    secret = _secret(frame)
    # Columns are replaced, never written into: a shallow copy keeps the input unchanged.
    out: Frame = frame.copy(deep=False)
    out["withheld"] = secret if tier == "public" else np.zeros(len(frame), dtype=bool)
    if tier == "owner" or not secret.any():
        return out
    for col in WITHHELD_COLUMNS:
        if col in out:
            out[col] = out[col].astype("float64").mask(secret)
    # What limits a candidate depends on its quantity (a small heat flow is limited by its
    # losses): withheld too. The counterfactual depends on the resource and country only.
    if "limited_by" in out:
        out["limited_by"] = out["limited_by"].astype("object").mask(secret)
    if "explanation" in out:
        text = pa.array(out["explanation"].astype("str"), pa.large_string())
        withheld = _withheld_lines(out.loc[secret])
        text = pc.replace_with_mask(text, pa.array(secret), withheld.cast(pa.large_string()))
        out["explanation"] = pd.Series(
            pd.arrays.ArrowStringArray(text, dtype=pd.StringDtype("pyarrow", na_value=np.nan)),
            index=out.index,
        )
    return out


def _withheld_lines(rows: pd.DataFrame) -> pa.Array:
    """The explanation of each withheld row, built on whole columns: site, resource, partner,
    distance and mode, and why the figures are missing."""
    where: pa.Array | str = ""
    if "distance_m" in rows:
        metres = rows["distance_m"].to_numpy(dtype="float64")
        km = fixed(metres / 1000, decimals=1)
        measured = pc.binary_join_element_wise(
            " (", km, " km by ", arrow_text(rows["mode"]), ")", ""
        )
        where = pc.if_else(pa.array(np.isnan(metres)), "", measured)
    return pc.binary_join_element_wise(
        arrow_text(rows["supply_site"]),
        " could send ",
        arrow_text(rows["resource"]),
        " to ",
        arrow_text(rows["demand_site"]),
        where,
        f"; {WITHHELD_TEXT}.",
        "",
    )


def case(data: Case, *, tier: Tier) -> Case:
    """A case as ``tier`` may see it: in ``public``, confidential flows keep their site,
    direction and resource but lose their quantities, and so do exchanges that repeat them."""
    check_tier(tier)
    if tier == "owner" or data.flows.empty:
        return data
    flows = data.flows
    secret = _secret(flows)
    if not secret.any():
        return data
    flows = flows.copy()
    for col in ("quantity", "quantity_canonical"):
        if col in flows:
            flows[col] = pd.to_numeric(flows[col], errors="coerce").astype("float64").mask(secret)
    exchanges = data.exchanges
    if not exchanges.empty and "quantity" in exchanges:
        mask = _repeats_secret(exchanges, data.flows[secret])
        if mask.any():
            exchanges = exchanges.copy()
            for col in ("quantity", "quantity_canonical"):
                if col in exchanges:
                    exchanges[col] = (
                        pd.to_numeric(exchanges[col], errors="coerce").astype("float64").mask(mask)
                    )
    return replace(data, flows=flows, exchanges=exchanges)


def _repeats_secret(exchanges: pd.DataFrame, hidden: pd.DataFrame) -> np.ndarray:
    """Exchanges whose quantity would repeat a hidden flow's: same site and resource on the
    side where the flow is confidential (the sender's supply or the receiver's demand)."""

    def keys(sites: pd.Series, res: pd.Series) -> pd.MultiIndex:
        return pd.MultiIndex.from_arrays([sites.astype("object"), res.astype("object")])

    supply = hidden[hidden["direction"] == "supply"]
    demand = hidden[hidden["direction"] == "demand"]
    sent = keys(exchanges["from_site"], exchanges["resource"]).isin(
        keys(supply["site_id"], supply["resource"])
    )
    received = keys(exchanges["to_site"], exchanges["resource"]).isin(
        keys(demand["site_id"], demand["resource"])
    )
    mask: np.ndarray = np.asarray(sent | received, dtype=bool)
    return mask


def totals(frame: pd.DataFrame, *, tier: Tier) -> summary.Totals:
    """The :class:`Totals` of scored candidates as ``tier`` may see them."""
    check_tier(tier)
    # Only the summed columns, and no explanation built for rows that are left out anyway.
    needed = frame[list(summary.TOTALS_COLUMNS)]
    counted = needed[~_secret(frame)] if tier == "public" else needed
    return summary.candidate_totals(counted, count=len(frame))


def view(item: Frame | Case, *, tier: Tier) -> Frame | Case:
    """``item`` as ``tier`` may see it: a :class:`~flows.model.Case` via :func:`case`, a frame of
    scored candidates via :func:`candidates`. The gate every interface passes through."""
    if isinstance(item, Case):
        return case(item, tier=tier)
    return candidates(item, tier=tier)


# -- aggregates ---------------------------------------------------------------------------------

RELEASED, FEW_COMPANIES, DOMINATED, RECOMPUTABLE, TOO_MANY = 0, 1, 2, 3, 4
"""Why a figure of a consolidated total is withheld (0: it is not)."""

_TOLERANCE = 1e-9
"""Relative size under which a residual (or a contribution) counts as zero."""


class DisclosureRuleError(SymbioMapError, ValueError):
    """A disclosure rule whose parameters cannot be used."""


@dataclass(frozen=True)
class DisclosureRule:
    """When a total that includes confidential contributions may be shown to a lower tier.

    Attributes
    ----------
    min_companies
        Fewest distinct companies with a non-zero hidden contribution a released total needs
        (the minimum-frequency rule; :data:`datasets.settings.PUBLIC_MIN_COMPANIES`).
    dominance_n
        The ``n`` of the (n,k) dominance rule: how many of the largest contributors together...
    dominance_k_pct
        ...may make up at most this share (per cent) of the hidden part; 100 disables the rule.
    """

    min_companies: int = PUBLIC_MIN_COMPANIES
    dominance_n: int = 1
    dominance_k_pct: float = 85.0

    def __post_init__(self) -> None:
        if self.min_companies < 2:
            msg = f"min_companies must be at least 2, not {self.min_companies}"
            raise DisclosureRuleError(msg)
        if self.dominance_n < 1:
            msg = f"dominance_n must be at least 1, not {self.dominance_n}"
            raise DisclosureRuleError(msg)
        if not 0 < self.dominance_k_pct <= 100:
            msg = f"dominance_k_pct must be in (0, 100], not {self.dominance_k_pct}"
            raise DisclosureRuleError(msg)

    def reason(self, code: int) -> str:
        """A withholding reason in plain words (``code``: :data:`FEW_COMPANIES`...)."""
        if code == FEW_COMPANIES:
            return f"fewer than {self.min_companies} companies"
        if code == DOMINATED:
            who = (
                "one company makes"
                if self.dominance_n == 1
                else f"{self.dominance_n} companies make"
            )
            return f"{who} up more than {self.dominance_k_pct:g} % of it"
        if code == RECOMPUTABLE:
            return "it would let a withheld figure be recomputed from other totals"
        if code == TOO_MANY:
            return "too many confidential exchanges to check that none could be recomputed"
        return ""


DEFAULT_RULE = DisclosureRule()
"""The rule lower tiers get unless another is given."""


@dataclass(frozen=True)
class Contributions:
    """The owner's records behind a set of consolidated tables, as the gate needs them.

    Attributes
    ----------
    values
        ``(records, columns)`` figures each record adds to its cells (NaN: known to nobody).
    columns
        The figure names, in the order of ``values``' columns.
    hidden
        Per record: its figures are withheld from the tier (the tier sees the others).
    company
        Per record: the company the figures belong to (the record's own site, or its operator).
    unknown
        Per record: the hidden quantity its figures are multiples of (an exchange in a year).
    parties
        Per record: the two companies that know that quantity (provider, receiver).
    cells
        Table name -> per record, the row of that table it adds to.
    block
        Per record: a label no table mixes (the ledger status), to audit blocks apart.
    """

    values: np.ndarray
    columns: tuple[str, ...]
    hidden: np.ndarray
    company: np.ndarray
    unknown: np.ndarray
    parties: tuple[np.ndarray, np.ndarray]
    cells: Mapping[str, np.ndarray]
    block: np.ndarray


@dataclass
class _Attacker:
    """What one attacker has learnt: an orthonormal basis of the released equations (over the
    quantities it does not know) and the targets' residuals outside it."""

    free: np.ndarray
    basis: np.ndarray
    residual: np.ndarray
    norm: np.ndarray


def _unit_rows(rows: np.ndarray) -> np.ndarray:
    """Distinct directions of the non-zero rows (a target and its multiples are one)."""
    norm = np.linalg.norm(rows, axis=1)
    rows = rows[norm > _TOLERANCE]
    if len(rows) == 0:
        return rows
    rows = rows / np.linalg.norm(rows, axis=1, keepdims=True)
    first = rows[np.arange(len(rows)), np.argmax(np.abs(rows) > _TOLERANCE, axis=1)]
    rows = rows * np.sign(first)[:, None]
    unique: np.ndarray = np.unique(np.round(rows, 9), axis=0)
    return unique


def _attacker(free: np.ndarray, targets: np.ndarray) -> _Attacker:
    restricted = targets * free
    norm = np.linalg.norm(restricted, axis=1)
    keep = norm > _TOLERANCE
    return _Attacker(
        free=free,
        basis=np.zeros((0, len(free))),
        residual=restricted[keep],
        norm=norm[keep],
    )


def _try_equation(attacker: _Attacker, row: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The attacker's new basis vector and residuals if ``row`` is released, ``None`` when it
    teaches nothing new; raises nothing: the caller tests the residuals."""
    seen = row * attacker.free
    size = float(np.linalg.norm(seen))
    if size <= _TOLERANCE:
        return None
    new = seen / size
    for _ in range(2):  # Gram-Schmidt twice, for round-off
        new = new - attacker.basis.T @ (attacker.basis @ new)
    left = float(np.linalg.norm(new))
    if left <= 1e-7:
        return None
    new = new / left
    residual = attacker.residual - np.outer(attacker.residual @ new, new)
    return new, residual


def _audit(rows: list[np.ndarray], targets: np.ndarray, attackers: list[np.ndarray]) -> np.ndarray:
    """Which candidate equations (in order) can be released: each is kept unless, with the
    ones kept before it, some attacker could solve for a target."""
    states = [_attacker(free, targets) for free in attackers]
    keep = np.zeros(len(rows), dtype=bool)
    for i, row in enumerate(rows):
        updates = []
        safe = True
        for state in states:
            step = _try_equation(state, row)
            if step is not None:
                _, residual = step
                if len(residual) and (np.linalg.norm(residual, axis=1) <= 1e-7 * state.norm).any():
                    safe = False
                    break
            updates.append(step)
        if not safe:
            continue
        keep[i] = True
        for state, step in zip(states, updates, strict=True):
            if step is not None:
                state.basis = np.vstack([state.basis, step[0]])
                state.residual = step[1]
    return keep


def _primary(
    vals: np.ndarray, cell: np.ndarray, company: np.ndarray, n_cells: int, rule: DisclosureRule
) -> np.ndarray:
    """Per (cell, column): :data:`RELEASED` where the hidden part is empty or passes the rule,
    else :data:`FEW_COMPANIES` or :data:`DOMINATED`."""
    n_comp = int(company.max()) + 1 if len(company) else 1
    key, inverse = np.unique(cell * n_comp + company, return_inverse=True)
    per = np.zeros((len(key), vals.shape[1]))
    np.add.at(per, inverse, vals)
    key_cell = key // n_comp
    size = np.abs(per)
    nonzero = size > _TOLERANCE
    codes = np.zeros((n_cells, vals.shape[1]), dtype=np.int8)
    count = np.zeros((n_cells, vals.shape[1]))
    np.add.at(count, key_cell, nonzero.astype(float))
    total = np.zeros((n_cells, vals.shape[1]))
    np.add.at(total, key_cell, size)
    # The n largest per cell and column: sort each column's contributions within cells.
    top = np.zeros((n_cells, vals.shape[1]))
    for j in range(vals.shape[1]):
        order = np.lexsort((-size[:, j], key_cell))
        ranked_cell = key_cell[order]
        starts = np.r_[0, np.flatnonzero(np.diff(ranked_cell)) + 1]
        rank = np.arange(len(order)) - np.repeat(starts, np.diff(np.r_[starts, len(order)]))
        chosen = order[rank < rule.dominance_n]
        np.add.at(top[:, j], key_cell[chosen], size[chosen, j])
    present = count > 0
    codes[present & (count < rule.min_companies)] = FEW_COMPANIES
    dominated = present & (count >= rule.min_companies)
    dominated &= top > rule.dominance_k_pct / 100 * total * (1 + _TOLERANCE)
    codes[dominated] = DOMINATED
    return codes


_TABLE_ORDER = ("totals", "by_year", "by_region", "by_park", "by_family", "by_site")


def _withhold_codes(
    parts: Contributions,
    sizes: Mapping[str, int],
    rule: DisclosureRule,
    order: Sequence[str],
    columns: Sequence[int],
) -> dict[str, np.ndarray]:
    """Per table, a ``(cells, columns)`` array of reasons (:data:`RELEASED`...)."""
    codes = {name: np.zeros((n, len(parts.columns)), dtype=np.int8) for name, n in sizes.items()}
    hidden = np.flatnonzero(parts.hidden)
    if len(hidden) == 0:
        return codes
    vals = np.nan_to_num(parts.values[hidden].astype("float64"), nan=0.0)
    company, companies = pd.factorize(pd.Series(parts.company[hidden], dtype=object))
    unknown, _ = pd.factorize(pd.Series(parts.unknown[hidden], dtype=object))
    block, _ = pd.factorize(pd.Series(parts.block[hidden], dtype=object))
    # Who knows each hidden quantity: the two parties of its exchange.
    provider = pd.Series(parts.parties[0][hidden], dtype=object)
    receiver = pd.Series(parts.parties[1][hidden], dtype=object)
    for name, n in sizes.items():
        codes[name] = _primary(vals, parts.cells[name][hidden], company, n, rule)
    for b in range(int(block.max()) + 1):
        mine = block == b
        ids = np.unique(unknown[mine])
        local = np.searchsorted(ids, unknown[mine])
        _audit_block(
            codes,
            vals[mine],
            cells={name: parts.cells[name][hidden][mine] for name in sizes},
            company=company[mine],
            unknown=local,
            parties=(provider[mine].to_numpy(), receiver[mine].to_numpy()),
            n_companies=len(companies),
            order=order,
            columns=columns,
        )
    return codes


_MAX_AUDIT_WORK = 3e9
"""Above this many multiply-adds (candidates x attackers x targets x hidden quantities), a
block's totals are withheld whole instead of audited: a SymbioMap limit that keeps a public
ledger to tens of seconds (Kalundborg needs about 1e7)."""


def _long(group: np.ndarray, unknown: np.ndarray, vals: np.ndarray) -> pd.DataFrame:
    """The non-zero sums of the records' figures per group, column and hidden quantity
    (columns ``g``, ``j``, ``u``, ``v``)."""
    n_cols = vals.shape[1]
    frame = pd.DataFrame(
        {
            "g": np.repeat(group, n_cols),
            "j": np.tile(np.arange(n_cols), len(group)),
            "u": np.repeat(unknown, n_cols),
            "v": vals.ravel(),
        }
    )
    frame = frame[np.abs(frame["v"].to_numpy()) > _TOLERANCE]
    out = frame.groupby(["g", "j", "u"], sort=True)["v"].sum().reset_index()
    return out[np.abs(out["v"].to_numpy()) > _TOLERANCE]


def _dense(long: pd.DataFrame, keys: pd.MultiIndex, local: Mapping[int, int], n: int) -> np.ndarray:
    """Rows over the audited quantities of the (``g``, ``j``) ``keys`` of ``long``."""
    out = np.zeros((len(keys), n))
    if len(keys) == 0:
        return out
    index = keys.get_indexer(pd.MultiIndex.from_arrays([long["g"], long["j"]]))
    mine = index >= 0
    cols = long["u"].to_numpy()[mine]
    out[index[mine], [local[int(u)] for u in cols]] = long["v"].to_numpy()[mine]
    return out


def _within(long: pd.DataFrame, audited: set[int], *, several: bool) -> pd.MultiIndex:
    """The (``g``, ``j``) keys of ``long`` whose quantities are all audited (others cannot be
    solved for), with at least two quantities if ``several``."""
    inside = long["u"].isin(list(audited))
    grouped = inside.groupby([long["g"], long["j"]])
    keep = grouped.all()
    if several:
        keep &= grouped.size() > 1
    return keep.index[keep.to_numpy(dtype=bool)]


def _audit_block(
    codes: dict[str, np.ndarray],
    vals: np.ndarray,
    *,
    cells: Mapping[str, np.ndarray],
    company: np.ndarray,
    unknown: np.ndarray,
    parties: tuple[np.ndarray, np.ndarray],
    n_companies: int,
    order: Sequence[str],
    columns: Sequence[int],
) -> None:
    """Secondary suppression of one block, written into ``codes``."""
    longs = {name: _long(cells[name], unknown, vals) for name in order}
    candidates: list[tuple[str, int, int]] = []
    for name in order:
        long = longs[name]
        weight = long.assign(v=long["v"].abs()).groupby(["j", "g"])["v"].sum()
        for j in columns:
            if j not in weight.index.get_level_values(0):
                continue
            ranked = weight.loc[j].sort_values(ascending=False, kind="stable")
            candidates += [
                (name, int(g), j) for g in ranked.index if codes[name][int(g), j] == RELEASED
            ]
    if not candidates:
        return
    keys = {
        name: pd.MultiIndex.from_tuples(
            [(g, j) for n, g, j in candidates if n == name], names=["g", "j"]
        )
        for name in order
    }
    audited = {
        int(u)
        for name in order
        for u in longs[name]["u"][
            pd.MultiIndex.from_arrays([longs[name]["g"], longs[name]["j"]]).isin(keys[name])
        ]
    }
    local = {u: i for i, u in enumerate(sorted(audited))}
    n = len(local)
    # Targets: each hidden quantity, each cell withheld by the primary rule, and each
    # company's part of a cell where it has several quantities (others cannot be solved for).
    # Attackers: an outsider, and every company party to an audited quantity.
    known: dict[object, np.ndarray] = {}
    for side in parties:
        for who, u in zip(side, unknown, strict=True):
            if int(u) in local and isinstance(who, str):
                known.setdefault(who, np.zeros(n, dtype=bool))[local[int(u)]] = True
    masks = np.unique(np.array([np.zeros(n, dtype=bool), *known.values()]), axis=0)
    attackers = [(~mask).astype(float) for mask in masks]
    parts: list[tuple[pd.DataFrame, pd.MultiIndex]] = []
    for name in order:
        long = longs[name]
        primary = codes[name][long["g"].to_numpy(), long["j"].to_numpy()]
        suppressed = long[(primary == FEW_COMPANIES) | (primary == DOMINATED)]
        parts.append((suppressed, _within(suppressed, audited, several=True)))
        per = _long(cells[name] * n_companies + company, unknown, vals)
        parts.append((per, _within(per, audited, several=True)))
    n_targets = n + sum(len(k) for _, k in parts)
    if float(len(candidates)) * len(attackers) * n_targets * n > _MAX_AUDIT_WORK:
        for name, g, j in candidates:
            codes[name][g, j] = TOO_MANY
        return
    target = _unit_rows(np.vstack([np.eye(n), *(_dense(f, k, local, n) for f, k in parts)]))
    rows = [
        _dense(longs[name], pd.MultiIndex.from_tuples([(g, j)], names=["g", "j"]), local, n)[0]
        for name, g, j in candidates
    ]
    keep = _audit(rows, target, attackers)
    for (name, g, j), kept in zip(candidates, keep, strict=True):
        if not kept:
            codes[name][g, j] = RECOMPUTABLE


def release_aggregates(
    sums: Mapping[str, pd.DataFrame],
    parts: Contributions,
    *,
    tier: Tier,
    rule: DisclosureRule = DEFAULT_RULE,
    order: Sequence[str] = _TABLE_ORDER,
    priority: Sequence[str] = (),
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Consolidated tables as ``tier`` may see them, and what was withheld and why.

    Parameters
    ----------
    sums
        Table name -> the owner's sums, one row per cell (row ``i`` is the cell that
        ``parts.cells[name] == i`` records add to); its :attr:`Contributions.columns` are the
        figures the gate may withhold, other columns (labels, counts) are kept.
    parts
        The owner's records behind the tables.
    tier
        The viewer's tier: ``owner`` sees every sum.
    rule
        Primary suppression (:class:`DisclosureRule`).
    order
        Tables in the order their figures are released (the first the most useful); tables
        not listed are released last.
    priority
        Figures released first within a table (the headline ones); the others follow in
        :attr:`Contributions.columns` order.

    Returns
    -------
    tables
        The tables, withheld figures NaN, with ``withheld_figures`` (how many) and
        ``withheld_reason`` (why, in words) per row.
    withheld
        One row per withheld figure: ``table``, ``row``, ``figure``, ``reason_code``,
        ``reason``.
    """
    check_tier(tier)
    sizes = {name: len(frame) for name, frame in sums.items()}
    ordered = [*(n for n in order if n in sums), *(n for n in sums if n not in order)]
    if tier == "owner":
        codes = {
            name: np.zeros((n, len(parts.columns)), dtype=np.int8) for name, n in sizes.items()
        }
    else:
        first = [parts.columns.index(c) for c in priority if c in parts.columns]
        columns = [*first, *(j for j in range(len(parts.columns)) if j not in first)]
        codes = _withhold_codes(parts, sizes, rule, ordered, columns)
    tables: dict[str, pd.DataFrame] = {}
    found = []
    for name, frame in sums.items():
        code = codes[name]
        out = frame.copy()
        for j, column in enumerate(parts.columns):
            if column in out:
                out[column] = out[column].astype("float64").mask(code[:, j] > 0)
        worst = np.where((code > 0).any(axis=1), np.where(code > 0, code, 99).min(axis=1), 0)
        out["withheld_figures"] = (code > 0).sum(axis=1).astype("int64")
        out["withheld_reason"] = np.array([rule.reason(int(w)) for w in worst], dtype=object)
        tables[name] = out
        rows, cols = np.nonzero(code)
        found.append(
            pd.DataFrame(
                {
                    "table": name,
                    "row": rows.astype("int64"),
                    "figure": np.asarray(parts.columns, dtype=object)[cols],
                    "reason_code": code[rows, cols].astype("int64"),
                }
            )
        )
    withheld = pd.concat(found, ignore_index=True) if found else pd.DataFrame()
    if len(withheld):
        withheld["reason"] = withheld["reason_code"].map(lambda c: rule.reason(int(c)))
    else:
        withheld = pd.DataFrame(columns=["table", "row", "figure", "reason_code", "reason"])
    return tables, withheld


def withheld_summary(withheld: pd.DataFrame) -> list[str]:
    """What was withheld from a set of released tables, in plain sentences, one per reason,
    e.g. ``"3 totals withheld: fewer than 3 companies (12 figures)"`` (a total: a row of a
    table with at least one figure withheld for that reason).

    Parameters
    ----------
    withheld
        The second result of :func:`release_aggregates` (``table``, ``row``, ``figure``,
        ``reason_code``, ``reason``).
    """
    lines = []
    for _, group in withheld.groupby("reason_code", sort=True):
        rows = len(group.drop_duplicates(["table", "row"]))
        noun = "total" if rows == 1 else "totals"
        figures = "1 figure" if len(group) == 1 else f"{len(group)} figures"
        lines.append(f"{rows} {noun} withheld: {group['reason'].iloc[0]} ({figures})")
    return lines
