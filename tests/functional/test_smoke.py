"""The app starts, answers health checks and serves its API description."""


def test_healthz_reports_database_ok(client, db):
    from datetime import UTC, datetime

    from supervision.calendar import services
    from supervision.common import clock

    services.sync(db.session, years=[2025])
    db.session.commit()
    with clock.frozen(datetime(2025, 6, 1, tzinfo=UTC)):
        resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.get_json() == {"status": "ok", "checks": {"database": "ok", "calendar": "ok"}}


def test_openapi_lists_org_paths(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert {"/api/v1/org-units", "/api/v1/people", "/api/v1/posts", "/api/v1/assignments"} <= set(
        spec["paths"]
    )


def test_home_redirects_anonymous_to_login(client):
    resp = client.get("/")
    assert resp.status_code == 302
    assert "/login" in resp.headers["Location"]
