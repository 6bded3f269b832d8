"""How well the synergy library predicts documented exchanges: leave-one-source-out (or
leave-one-case-out) recall.

For each source of the documented-exchanges table, its exchanges are held out, the library's
evidence is counted from the other sources only, and :func:`flows.library.suggest` is asked for
each held-out exchange's provider sector (and, in a second mode, its resource too). An exchange
is a hit at a NACE level (division, group, class) when its true receiver, cut to that level, is
among the first ``k`` distinct receivers suggested, cut to that level (``suggest`` as it is, and
widened: the code's own rows, then its group's, division's, section's). Two popularity baselines
use the same training exchanges: the most frequent receivers overall, and those of providers of
the same division (in the resource mode both count only exchanges of the same resource).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pandas as pd

from flows import library as synergy_library
from flows import nace, resources

LEVELS = {"division": 2, "group": 3, "class": 4}
"""Levels recall is measured at -> NACE level number."""
MODES = ("by sector", "by sector and resource")
METHODS = ("suggest", "suggest, widened", "popular overall", "popular in provider division")


def top_at_level(codes: Iterable[str], level: int, k: int) -> list[str]:
    """The first ``k`` distinct codes cut to ``level`` (codes coarser than it are skipped)."""
    out: list[str] = []
    for code in codes:
        cut = nace.at_level(code, level)
        if cut is not None and cut not in out:
            out.append(cut)
            if len(out) == k:
                break
    return out


def _popular(receivers: pd.Series) -> list[str]:
    """Receiver codes by frequency, most frequent first, ties by code."""
    counts = receivers.value_counts()
    frame = pd.DataFrame({"code": counts.index, "n": counts.to_numpy()})
    return list(frame.sort_values(["n", "code"], ascending=[False, True])["code"])


def _popular_at(receivers: pd.Series, level: int, k: int) -> list[str]:
    cut = receivers.map(lambda c: nace.at_level(c, level)).dropna()
    return _popular(cut)[:k]


@dataclass(frozen=True)
class Recall:
    """Leave-one-source-out recall@k.

    Attributes
    ----------
    table : DataFrame
        One row per mode, method and level: ``mode``, ``method``, ``level``, ``hits``, ``n``
        (held-out exchanges whose receiver is coded at least that finely) and ``recall``.
    exchanges : int
        Exchanges evaluated (status active or historical).
    sources : int
        Distinct sources of those exchanges.
    k : int
        How many receivers count.
    held_out : str
        What was held out in turn: ``source`` or ``case``.
    groups : int
        How many sources or cases were held out in turn.
    """

    table: pd.DataFrame
    exchanges: int
    sources: int
    k: int
    held_out: str = "source"
    groups: int = 0


def leave_one_source_out(
    library: pd.DataFrame,
    documented: pd.DataFrame,
    *,
    k: int = 5,
    vocabulary: resources.Vocabulary | None = None,
    hold_out: str = "source",
) -> Recall:
    """Recall@k of :func:`flows.library.suggest` and of two popularity baselines.

    Parameters
    ----------
    library
        The synergy library (its evidence columns are recounted per fold). Rows whose
        ``source`` is the held-out source are dropped in that fold, so that a row written from
        the very source being predicted does not count.
    documented
        The documented exchanges (:func:`flows.library.load_documented`); only those with a
        status in :data:`flows.library.EVIDENCE_STATUSES` are held out and used for training.
    k
        How many distinct receivers (at each level) a method may name.
    vocabulary
        The EWC list and carriers (default: the bundled ones).
    hold_out
        ``source`` (each source's exchanges in turn) or ``case`` (each case's, whatever its
        sources: a symbiosis documented by many sources, as Kalundborg is, is then never
        predicted from its own other sources); library rows citing any source of what is held
        out are dropped in that fold.
    """
    if hold_out not in ("source", "case"):
        msg = f"hold_out must be 'source' or 'case', not {hold_out!r}"
        raise ValueError(msg)
    words = vocabulary or resources.read_vocabulary()
    done = documented[documented["status"].isin(synergy_library.EVIDENCE_STATUSES)]
    hits: dict[tuple[str, str, str], list[int]] = {}
    for group, held in done.groupby(hold_out, sort=True):
        train = done[done[hold_out] != group]
        cited = set(held["source"])
        lib = synergy_library.with_evidence(library[~library["source"].isin(cited)], train)
        ranked = _suggester(lib, words, widen=False)
        widened = _suggester(lib, words, widen=True)
        for exchange in held.itertuples(index=False):
            for mode in MODES:
                resource = exchange.resource if mode == MODES[1] else None
                pool = train if resource is None else train[train["resource"] == resource]
                division = nace.at_level(exchange.provider_nace, 2)
                same_division = pool[
                    pool["provider_nace"].map(lambda c: nace.at_level(c, 2)) == division
                ]
                for level_name, level in LEVELS.items():
                    truth = nace.at_level(exchange.receiver_nace, level)
                    if truth is None:
                        continue
                    named = {
                        METHODS[0]: top_at_level(
                            ranked(exchange.provider_nace, resource), level, k
                        ),
                        METHODS[1]: top_at_level(
                            widened(exchange.provider_nace, resource), level, k
                        ),
                        METHODS[2]: _popular_at(pool["receiver_nace"], level, k),
                        METHODS[3]: _popular_at(same_division["receiver_nace"], level, k),
                    }
                    for method, codes in named.items():
                        hits.setdefault((mode, method, level_name), []).append(truth in codes)
    rows = [
        {
            "mode": mode,
            "method": method,
            "level": level_name,
            "hits": sum(found),
            "n": len(found),
            "recall": sum(found) / len(found),
        }
        for (mode, method, level_name), found in hits.items()
    ]
    table = pd.DataFrame(rows, columns=["mode", "method", "level", "hits", "n", "recall"])
    return Recall(
        table=table,
        exchanges=len(done),
        sources=done["source"].nunique(),
        k=k,
        held_out=hold_out,
        groups=done[hold_out].nunique(),
    )


def _suggester(
    library: pd.DataFrame, vocabulary: resources.Vocabulary, *, widen: bool
) -> Callable[[str, str | None], list[str]]:
    """``(provider code, resource or None) -> receivers best first``, each query asked once."""
    cache: dict[tuple[str, str | None], list[str]] = {}

    def ranked(code: str, resource: str | None) -> list[str]:
        key = (code, resource)
        if key not in cache:
            table = synergy_library.suggest(
                nace_code=code,
                resource=resource,
                library=library,
                vocabulary=vocabulary,
                widen=widen,
            )
            cache[key] = synergy_library.receivers(table)
        return cache[key]

    return ranked


@dataclass(frozen=True)
class Coverage:
    """Which provider codes of the documented exchanges get an answer from ``suggest``.

    Attributes
    ----------
    codes : tuple[str, ...]
        Distinct provider codes of the documented exchanges.
    unanswered_exact : tuple[str, ...]
        Those with no library row related to the code itself (the answer before fallback).
    unanswered_fallback : tuple[str, ...]
        Those with none even at the group, division or section (after fallback).
    """

    codes: tuple[str, ...]
    unanswered_exact: tuple[str, ...]
    unanswered_fallback: tuple[str, ...]


def coverage(
    library: pd.DataFrame,
    documented: pd.DataFrame,
    *,
    vocabulary: resources.Vocabulary | None = None,
) -> Coverage:
    """How many provider codes of ``documented`` the library answers, before/after fallback."""
    words = vocabulary or resources.read_vocabulary()
    codes = tuple(sorted(set(documented["provider_nace"])))

    def empty(code: str, *, fallback: bool) -> bool:
        table = synergy_library.suggest(
            nace_code=code, library=library, vocabulary=words, fallback=fallback
        )
        return bool(table.empty)

    return Coverage(
        codes=codes,
        unanswered_exact=tuple(c for c in codes if empty(c, fallback=False)),
        unanswered_fallback=tuple(c for c in codes if empty(c, fallback=True)),
    )
