"""The JSON API's description and its answers to bad parameters: every route that returns
data declares a response model (so /api/openapi.json describes the payload), and a malformed
or out-of-range parameter is a bad request (400/404), never a permission failure."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.web.support import LiveServer, captured_session, live_server, store_location
from workweave.domain.errors import ValidationError

# (method, path, status) -> the model of the response, "[Model]" for a list of them
RESPONSE_MODELS = {
    ("post", "/api/logout", "200"): "SignedOut",
    ("get", "/api/studies/{study}", "200"): "StudySummary",
    ("get", "/api/studies/{study}/metrics", "200"): "Headline",
    ("get", "/api/studies/{study}/sites", "200"): "[SiteOut]",
    ("post", "/api/studies/{study}/sites", "201"): "Code",
    ("get", "/api/studies/{study}/observers", "200"): "[ObserverOut]",
    ("post", "/api/studies/{study}/observers", "201"): "Code",
    ("get", "/api/studies/{study}/participants", "200"): "[ParticipantOut]",
    ("post", "/api/studies/{study}/participants", "201"): "Code",
    ("post", "/api/studies/{study}/participants/{code}/consent", "200"): "ConsentOut",
    ("get", "/api/studies/{study}/members", "200"): "[MemberOut]",
    ("post", "/api/studies/{study}/members", "201"): "MemberOut",
    ("post", "/api/studies/{study}/template", "200"): "TemplateChosen",
    ("get", "/api/templates", "200"): "[TemplateInfo]",
    ("get", "/api/templates/{name}/{version}", "200"): "TemplateOut",
    ("post", "/api/templates", "201"): "TemplateStored",
    ("get", "/api/users", "200"): "[UserInfo]",
    ("post", "/api/users", "201"): "UserAdded",
    ("get", "/api/studies/{study}/capture-config", "200"): "CaptureConfig",
    ("get", "/api/studies/{study}/sessions", "200"): "[SessionRow]",
    ("get", "/api/studies/{study}/sessions/{key}/edits", "200"): "[EditOut]",
    ("get", "/api/studies/{study}/sessions/{key}/actions", "200"): "[ActionOut]",
    ("get", "/api/studies/{study}/sessions/{key}", "200"): "SessionDetail",
    ("get", "/api/studies", "200"): "[StudyOut]",
    ("post", "/api/sync", "200"): "SyncOut",
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    yield from live_server(store_location("sqlite", tmp_path_factory.mktemp("api")))


def declared(schema: dict[str, Any], method: str, path: str, status: str) -> str:
    """The model a route's response refers to ("[Model]" for an array of them)."""
    content = schema["paths"][path][method]["responses"][status]["content"]
    body = content["application/json"]["schema"]
    if body.get("type") == "array":
        return f"[{body['items']['$ref'].rsplit('/', 1)[-1]}]"
    return str(body["$ref"].rsplit("/", 1)[-1])


def test_openapi_declares_the_response_models(server: LiveServer) -> None:
    schema = server.client(None).get("/api/openapi.json").json()
    components = schema["components"]["schemas"]
    for (method, path, status), model in RESPONSE_MODELS.items():
        assert declared(schema, method, path, status) == model, (method, path)
        props = components[model.strip("[]")]["properties"]
        assert props, model
    # nested payloads are described too
    assert components["SessionDetail"]["properties"]["tasks"]["items"]["$ref"].endswith("TaskOut")
    assert components["SessionDetail"]["properties"]["timeline"]["$ref"].endswith("TimelineOut")
    assert set(components["StudySummary"]["properties"]) >= {"total", "by_site", "by_observer"}
    assert components["Headline"]["properties"]["items"]["items"]["$ref"].endswith("HeadlineItem")
    # no route of the API answers with an undescribed object
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            for status, response in op["responses"].items():
                if not status.startswith("2"):
                    continue
                body = response.get("content", {}).get("application/json", {}).get("schema", {})
                assert body, (method, path, status)
                assert body.get("additionalProperties") is not True, (method, path)


def test_payloads_have_the_declared_keys(server: LiveServer) -> None:
    key = captured_session(server)
    res = server.client("res")
    detail = res.get(f"/api/studies/s1/sessions/{key}").json()
    assert list(detail)[:4] == ["key", "participant", "site", "observer"]
    assert list(detail["tasks"][0]) == [
        "key",
        "seq",
        "category",
        "subcategory",
        "start",
        "end",
        "active_seconds",
        "dimensions",
        "parallel",
        "suspensions",
        "ended_by",
    ]
    members = res.get("/api/studies/s1/members").json()
    assert list(members[0]) == [
        "user",
        "study_id",
        "study",
        "role",
        "observer_code",
        "participant_code",
    ]
    sites = res.get("/api/studies/s1/sites").json()
    assert {"code", "name", "timezone", "description"} == set(sites[0])


def test_bootstrap_out_of_range_is_a_bad_request(server: LiveServer) -> None:
    from workweave.web.pages_analysis import _bootstrap

    with pytest.raises(ValidationError, match="B must be between 0 and 5000"):
        _bootstrap(5001)
    res = server.client("res")
    r = res.get("/studies/s1/report", params={"B": 99999})
    assert r.status_code == 400 and "B must be between 0 and 5000" in r.text
    r = server.client("part").get("/me/s1/report", params={"B": -1})
    assert r.status_code == 400 and "B must be between 0 and 5000" in r.text
    r = res.get("/studies/s1/report", params={"B": "many"})
    assert r.status_code == 422 and "query.B" in r.text


def test_unknown_study_is_not_found_not_forbidden(server: LiveServer) -> None:
    adm = server.client("adm")
    r = adm.get("/api/studies/nope/sessions")
    assert (r.status_code, r.json()) == (404, {"detail": "no study 'nope'"})
    r = adm.post("/api/sync", json={"study": "nope", "actions": []})
    assert (r.status_code, r.json()) == (404, {"detail": "no study 'nope'"})
    assert adm.get("/studies/nope").status_code == 404
    # someone who is not an admin learns nothing about which studies exist
    r = server.client("res").get("/api/studies/nope/sessions")
    assert r.status_code == 403
