"""The fast citation scan and de-identification check give exactly the results stored before the speed-up.

tests/parser_expected.py describes the stored file (every seed case, synthetic cases, the labelled
fixtures) and how it was made. An input whose text changed since (a seed case edited) is skipped
and counted; the test fails if too many are, so it cannot pass by comparing nothing.
"""
from __future__ import annotations

import pytest

from tests import parser_expected

pytestmark = [pytest.mark.nodb, pytest.mark.slow]


@pytest.fixture(scope="module")
def expected() -> dict[str, dict]:
    return parser_expected.load_expected()


@pytest.fixture(scope="module")
def inputs() -> list[dict]:
    return list(parser_expected.inputs())


@pytest.fixture(scope="module")
def current(inputs, expected) -> dict[str, dict]:
    """key → today's results, for every stored input whose text is unchanged."""
    out = {}
    for item in inputs:
        stored = expected.get(parser_expected.key(item))
        if stored is not None and stored["digest"] == parser_expected.digest([item["title"], item["sections"]]):
            out[parser_expected.key(item)] = parser_expected.results(item)
    return out


def _compare(current, expected, field: str) -> tuple[int, list[str]]:
    compared, differences = 0, []
    for name, results in current.items():
        stored = expected[name]
        if field not in stored:
            continue
        got = results[field]
        compared += 1
        if got != stored[field]:
            first = next(i for i, (a, b) in enumerate(zip(got, stored[field])) if a != b) if len(got) == len(
                stored[field]) else "length"
            differences.append(f"{name}: first difference at {first}")
    return compared, differences


def test_every_stored_input_is_still_there(inputs, expected):
    current = {parser_expected.key(i): parser_expected.digest([i["title"], i["sections"]]) for i in inputs}
    unchanged = [k for k, row in expected.items() if current.get(k) == row["digest"]]
    assert len(unchanged) >= 0.95 * len(expected), f"only {len(unchanged)} of {len(expected)} inputs unchanged"
    assert {k.split("/")[0] for k in unchanged} == {"seed", "synthetic", "citations", "deid"}


def test_citations_are_parsed_exactly_as_before(current, expected):
    compared, differences = _compare(current, expected, "citations")
    assert compared > 2000
    assert not differences, "\n".join(differences[:20])


def test_personal_data_findings_are_exactly_as_before(current, expected):
    compared, differences = _compare(current, expected, "deid")
    assert compared > 1900
    assert not differences, "\n".join(differences[:20])


def test_single_passage_findings_are_exactly_as_before(current, expected):
    compared, differences = _compare(current, expected, "find")
    assert compared > 50
    assert not differences, "\n".join(differences[:20])
