"""Every list answers the X-Pagination header (SPEC §10: JSON with `total`, `total_pages`,
`page`), and the OpenAPI document declares it so that the actual value validates: a JSON
text (`content: application/json`), not an object where a string arrives."""

import json

import jsonschema_rs
import pytest

from supervision.calendar import services
from tests.functional.test_authorization_matrix import QUERIES

HEADER = "X-Pagination"


def _declared(spec: dict) -> dict[str, dict]:
    """path -> the X-Pagination declaration of its GET's 200 answer."""
    out = {}
    for path, item in spec["paths"].items():
        answer = item.get("get", {}).get("responses", {}).get("200", {})
        if HEADER in answer.get("headers", {}):
            out[path] = answer["headers"][HEADER]
    return out


@pytest.fixture
def tokens(make_user, token_for):
    roles = ["admin", "discipline_secretary", "hr", "discipline_member"]
    return [token_for(make_user(f"u{i}", [role])) for i, role in enumerate(roles)]


def test_the_document_declares_a_json_text(client):
    declared = _declared(client.get("/api/v1/openapi.json").get_json())
    assert "/api/v1/calendar/days" in declared and len(declared) >= 15
    for path, doc in declared.items():
        assert "schema" not in doc, path  # a header's value is a string, never an object
        schema = doc["content"]["application/json"]["schema"]
        assert schema["type"] == "object" and set(schema["required"]) == {
            "total",
            "total_pages",
            "page",
        }


def test_every_list_answer_validates_against_the_declaration(client, db, tokens):
    services.sync(db.session, years=[2025])
    db.session.commit()
    declared = _declared(client.get("/api/v1/openapi.json").get_json())
    checked = set()
    for path, doc in declared.items():
        if "{" in path:  # lists under an object: covered by the same code path
            continue
        validator = jsonschema_rs.validator_for(doc["content"]["application/json"]["schema"])
        query = QUERIES.get(path, "")
        for extra in ("", "page=1&page_size=1", "page=999"):
            url = f"{path}?{'&'.join(q for q in (query, extra) if q)}"
            for headers in tokens:
                resp = client.get(url, headers=headers)
                if resp.status_code != 200:
                    continue
                meta = json.loads(resp.headers[HEADER])
                errors = [e.message for e in validator.iter_errors(meta)]
                assert not errors, (url, meta, errors)
                checked.add(path)
                break
    assert "/api/v1/calendar/days" in checked and len(checked) >= 10, sorted(checked)


def test_an_empty_page_still_says_which_page_it_is(client, db, tokens):
    resp = client.get("/api/v1/calendar/days?year=2025&page=99", headers=tokens[0])
    assert resp.status_code == 200 and resp.get_json() == []
    assert json.loads(resp.headers[HEADER]) == {
        "total": 365,
        "total_pages": 8,
        "first_page": 1,
        "last_page": 8,
        "page": 99,
    }
