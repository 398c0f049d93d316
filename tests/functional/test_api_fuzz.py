"""Property-based fuzzing of every API operation from the OpenAPI document (schemathesis):
whatever the input, the answer is never a server error. Bounded and derandomised so that
it runs in seconds and the same way every time; a longer run is `schemathesis run` by hand.

(schemathesis's own pytest plugin does not work with pytest 9 yet, so the operations are
parametrised here and each one is driven by Hypothesis with the operation's strategy.)"""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from config import TestConfig
from supervision import create_app
from tests import factories


def _operation_labels() -> list[str]:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", create_app(TestConfig))
    return [op.ok().label for op in schema.get_all_operations()]


@pytest.fixture
def auth_headers(db, make_user, token_for):
    """An HR/admin token and a small organisation for the generated requests to hit."""
    s = db.session
    root = factories.unit(s, "分局", kind="branch")
    unit = factories.unit(s, "派出所", kind="station", parent=root)
    person = factories.person(s, unit, "张三")
    post = factories.post(s, unit, "窗口", is_sensitive=True)
    factories.assign(s, person, post)
    s.commit()
    return token_for(make_user("hr", ["hr", "admin"]))


@pytest.mark.parametrize("label", _operation_labels())
def test_no_server_errors(app, auth_headers, label):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operation = next(op.ok() for op in schema.get_all_operations() if op.ok().label == label)

    @given(case=operation.as_strategy())
    @settings(max_examples=12, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def check(case):
        response = case.call(headers=auth_headers)
        assert response.status_code < 500, (label, case.formatted_path, response.text[:300])

    check()
