"""A shortened schemathesis run against our own OpenAPI document: every operation, generated
arguments (valid and not), no 5xx, every answer as documented. The full run (5,000+ requests)
is a command in docs/api-fuzzing.md."""
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

pytestmark = pytest.mark.nodb  # reads the seeded library only
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]
OPERATIONS = ["GET /api/v1/search", "GET /api/v1/cases/{case_id}", "GET /api/v1/cases",
              "GET /api/v1/cases/{case_id}/similar", "GET /api/v1/taxonomies", "GET /api/v1/suggest",
              "GET /api/v1/articles/search", "GET /api/v1/stats/organisations"]


@pytest.fixture(scope="module")
def operations(seeded_app):
    """The operations of the document the running app publishes, by label."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", seeded_app)
    found = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        found[f"{operation.method.upper()} {operation.path}"] = operation
    return found


def test_the_document_lists_every_operation(operations):
    assert sorted(operations) == sorted(OPERATIONS)


@pytest.mark.parametrize(("label", "mode"), [(label, GenerationMode.POSITIVE) for label in OPERATIONS] + [
    (label, GenerationMode.NEGATIVE) for label in OPERATIONS if label != "GET /api/v1/taxonomies"])  # no arguments
def test_every_operation_answers_as_documented(operations, label, mode):
    @given(case=operations[label].as_strategy(generation_mode=mode))
    @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def check(case):
        case.call_and_validate(checks=CHECKS)

    check()
