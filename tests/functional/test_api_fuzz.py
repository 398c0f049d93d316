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
def auth_headers(app):
    """A token of a user with every org and risk role, and a small organisation with a
    risk point to hit. Set up in an app context of its own that is closed before the
    generated requests run, so that each request gets a fresh `g` and session as in
    production (schemathesis calls the WSGI app directly, not the test client)."""
    from supervision.auth.services import issue_token
    from supervision.extensions import db
    from supervision.risks import services as risks

    with app.app_context():
        s = db.session
        root = factories.unit(s, "分局", kind="branch")
        unit = factories.unit(s, "派出所", kind="station", parent=root)
        person = factories.person(s, unit, "张三")
        post = factories.post(s, unit, "窗口", is_sensitive=True)
        factories.assign(s, person, post)
        risks.create_point(
            s,
            {
                "org_unit_id": unit.id,
                "post_id": post.id,
                "title": "风险",
                "category": "duty",
                "likelihood": 2,
                "impact": 3,
                "measures": [{"description": "措施"}],
            },
        )
        user = factories.user(s, "fuzzer", ["hr", "admin", "discipline_secretary"])
        token = issue_token(s, user, "fuzz")
        s.commit()
        s.remove()
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("label", _operation_labels())
def test_no_server_errors(app, auth_headers, label):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operation = next(op.ok() for op in schema.get_all_operations() if op.ok().label == label)

    statuses: list[int] = []

    @given(case=operation.as_strategy())
    @settings(
        max_examples=12,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case):
        response = case.call(headers=auth_headers)
        statuses.append(response.status_code)
        assert response.status_code < 500, (label, case.formatted_path, response.text[:300])

    check()
    # The requests must reach the views: authentication and CSRF are not what is tested.
    assert statuses.count(401) + statuses.count(400) < len(statuses), (label, statuses)
