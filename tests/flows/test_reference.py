"""The reference bundle: read once, passed as a value, each table used by the run given it."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import datasets
from flows import io, pipeline, reference
from flows.model import Case


@pytest.fixture(scope="module")
def kalundborg() -> Case:
    return io.read_case(datasets.get_path("kalundborg"))


def test_a_circuity_override_reaches_the_estimated_distances(kalundborg: Case) -> None:
    bundled = reference.default()
    road = bundled.circuity["road"].circuity
    winding = bundled.with_overrides(circuity={"road": road * 1.5})
    assert bundled.circuity["road"].circuity == road  # the shared copy is untouched
    assert winding.circuity["road"].status == "user override"
    base = pipeline.analyse(kalundborg).candidates.set_index("candidate_id")
    longer = pipeline.analyse(kalundborg, reference=winding).candidates.set_index("candidate_id")
    estimated = (base["mode"].astype(str) == "road") & (
        base["distance_kind"].astype(str) == "estimated"
    )
    assert estimated.any()
    kept = base.index[estimated].intersection(longer.index)
    assert len(kept) > 0
    np.testing.assert_allclose(
        longer.loc[kept, "distance_m"].to_numpy(dtype="float64"),
        1.5 * base.loc[kept, "distance_m"].to_numpy(dtype="float64"),
        rtol=1e-9,
    )
    pipes = base.index[base["mode"].astype(str) == "pipeline"].intersection(longer.index)
    np.testing.assert_allclose(  # other modes keep their factor
        longer.loc[pipes, "distance_m"].to_numpy(dtype="float64"),
        base.loc[pipes, "distance_m"].to_numpy(dtype="float64"),
    )


def test_the_vocabulary_of_the_bundle_is_the_one_matching_uses(kalundborg: Case) -> None:
    bundled = reference.default()
    entry = bundled.vocabulary.ewc["07 07 99"]
    # read as heat (nonsense for residues, but the one state no truck carries), the state
    # rule, not the library's road rows, decides the mode
    as_liquid = dataclasses.replace(entry, family="heat")
    ewc = dict(bundled.vocabulary.ewc) | {"07 07 99": as_liquid}
    other = dataclasses.replace(
        bundled, vocabulary=dataclasses.replace(bundled.vocabulary, ewc=ewc)
    )
    assert bundled.vocabulary.family_of("07 07 99") == "biomass"
    assert other.vocabulary.family_of("07 07 99") == "heat"
    base = pipeline.analyse(kalundborg).candidates
    found = pipeline.analyse(kalundborg, reference=other).candidates
    yeast = found["resource"].astype(str) == "07 07 99"
    base_yeast = base["resource"].astype(str) == "07 07 99"
    assert yeast.any()
    assert set(found.loc[yeast, "family"].astype(str)) == {"heat"}
    assert set(base.loc[base_yeast, "family"].astype(str)) == {"biomass"}
    # the physical state follows the family: a solid goes by road, heat only by pipeline
    assert set(base.loc[base_yeast, "mode"].astype(str)) == {"road"}
    assert set(found.loc[yeast, "mode"].astype(str)) == {"pipeline"}
    assert found.loc[yeast, "pipe_diameter_m"].notna().all()


def test_reference_needs_every_table() -> None:
    with pytest.raises(TypeError):
        reference.Reference(  # type: ignore[call-arg]
            library=reference.default().library,
            parameters=reference.default().parameters,
            compatibility={},
            substitutes=(),
        )
