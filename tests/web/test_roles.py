"""Every route of the web app, walked over HTTP by every role (and by nobody): each role the
route admits gets through, every other role is refused; plus CSRF, cookie flags and the
privacy rules (observers see only their studies, participants only their own data)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.web.support import LiveServer, captured_session
from workweave.domain.study import Study
from workweave.services import accounts
from workweave.web.auth import route_roles

ROLE_USERS = {"admin": "adm", "researcher": "res", "observer": "obs1", "participant": "part"}
PUBLIC = {
    ("GET", "/login"),
    ("POST", "/login"),
    ("POST", "/logout"),
    ("GET", "/api/session"),
    ("POST", "/api/login"),
    ("POST", "/api/logout"),
    ("GET", "/api/docs"),
    ("GET", "/sw.js"),
    ("GET", "/healthz"),
}


def fill(path: str, key: str) -> str:
    values = {
        "study": "s1",
        "code": "P1",
        "key": key,
        "coding": key,
        "version": "1",
        "event_id": "1",
    }
    path = re.sub(r"/templates/\{name\}", "/templates/ahp-clinician-manager", path)
    path = path.replace("/admin/users/{name}", "/admin/users/obs2")
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: values[m.group(1)], path)


def test_every_route_declares_its_roles(server: LiveServer) -> None:
    roles = route_roles(server.app)
    assert len(roles) > 40
    undeclared = {r for r, v in roles.items() if v is None} - PUBLIC
    assert not undeclared, f"routes without declared roles: {sorted(undeclared)}"
    assert roles[("POST", "/api/sync")] == ("admin", "researcher", "observer", "participant")
    assert roles[("GET", "/admin/users")] == ("admin",)
    assert roles[("GET", "/capture/{study}")] == ("admin", "researcher", "observer")
    assert roles[("GET", "/me/{study}")] == ("participant",)


@pytest.mark.slow
def test_role_route_matrix(server: LiveServer) -> None:
    key = captured_session(server)
    clients = {role: server.client(user) for role, user in ROLE_USERS.items()}
    clients["anonymous"] = server.client(None)
    problems: list[str] = []
    checked = 0
    for (method, path), allowed in sorted(route_roles(server.app).items()):
        if allowed is None:
            continue
        url = fill(path, key)
        for role, c in clients.items():
            kw: dict[str, Any] = {}
            if method == "POST":
                kw = {"json": {}} if path.startswith("/api/") else {"data": {}}
            r = c.request(method, url, **kw)
            checked += 1
            ok = r.status_code not in (401, 403) and not (
                r.status_code == 303 and r.headers.get("location", "").startswith("/login")
            )
            if role in (allowed or ()):
                if not ok or r.status_code >= 500:
                    problems.append(
                        f"{role} refused on {method} {url}: {r.status_code} {r.text[:120]}"
                    )
            elif role == "anonymous":
                want = 401 if path.startswith("/api/") else 303
                if r.status_code != want:
                    problems.append(f"anonymous got {r.status_code} on {method} {url}")
            elif r.status_code != 403:
                problems.append(f"{role} got {r.status_code} (not 403) on {method} {url}")
    assert not problems, "\n".join(problems)
    assert checked >= 5 * 40


def test_public_routes(server: LiveServer) -> None:
    c = server.client(None)
    for path in ("/login", "/api/session", "/api/docs", "/sw.js", "/healthz", "/api/openapi.json"):
        assert c.get(path).status_code == 200, path
    schema = c.get("/api/openapi.json").json()
    assert "/api/sync" in schema["paths"] and "SyncOut" in schema["components"]["schemas"]


def test_observers_see_only_their_studies(server: LiveServer) -> None:
    server.store.studies.create(Study("other", "Another study"), exist_ok=True)
    obs = server.client("obs1")
    assert [s["name"] for s in obs.get("/api/studies").json()] == ["s1"]
    assert obs.get("/studies/other").status_code == 403
    assert obs.get("/api/studies/other/sessions").status_code == 403
    assert "another study" not in obs.get("/studies").text.lower()
    adm = server.client("adm")
    assert {s["name"] for s in adm.get("/api/studies").json()} >= {"s1", "other"}


def test_participants_see_only_their_own_data(server: LiveServer) -> None:
    own = captured_session(server, "P1")
    other = captured_session(server, "P2")
    part = server.client("part")
    assert part.get(f"/api/studies/s1/sessions/{own}").status_code == 200
    assert part.get(f"/api/studies/s1/sessions/{other}").status_code == 403
    assert part.get(f"/studies/s1/sessions/{other}").status_code == 403
    listed = {s["participant"] for s in part.get("/api/studies/s1/sessions").json()}
    assert listed == {"P1"}
    config = part.get("/api/studies/s1/capture-config").json()
    assert [p["code"] for p in config["participants"]] == ["P1"]
    assert part.get("/api/studies/s1/participants").status_code == 403


def test_csrf_and_cookie(server: LiveServer) -> None:
    import httpx

    with httpx.Client(base_url=server.url) as c:
        header = c.get("/api/session").headers["set-cookie"].lower()
        r = c.post("/api/login", json={"name": "adm", "password": "test-password-1"})
        assert r.status_code == 403 and "CSRF" in r.json()["detail"]
    assert "workweave_session=" in header
    assert "httponly" in header and "samesite=lax" in header and "path=/" in header
    # state-changing requests need the token, in the header or the form field
    bare = server.client("adm")
    token = bare.headers.pop("X-CSRF-Token")
    assert bare.post("/studies", data={"name": "x-study"}).status_code == 403
    assert bare.post("/api/studies", json={"name": "x-study"}).status_code == 403
    r = bare.post("/studies", data={"name": "x-study", "csrf_token": token})
    assert r.status_code == 303 and r.headers["location"] == "/studies/x-study"
    assert (
        bare.post(
            "/api/studies", json={"name": "y-study"}, headers={"X-CSRF-Token": "nope"}
        ).status_code
        == 403
    )


def test_signing_out_everywhere_on_password_change(server: LiveServer, tmp_path: Path) -> None:
    accounts.add_user(server.store, "temp", "researcher", "first-kettle-harbour")
    c = server.client(None)
    r = c.post(
        "/api/login",
        json={"name": "temp", "password": "first-kettle-harbour"},
        headers=c.headers,
    )
    assert r.status_code == 200
    c.headers["X-CSRF-Token"] = r.json()["csrf"]
    assert c.get("/api/me").status_code == 200
    accounts.set_password(server.store, "temp", "second-kettle-harbour")
    assert c.get("/api/me").status_code == 401


def test_administration_through_the_pages(server: LiveServer) -> None:
    """A researcher sets up a site, a participant with a job plan and consent, and a template,
    with the same forms a browser posts (CSRF token in the form field)."""
    c = server.client("res")
    token = c.headers.pop("X-CSRF-Token")

    def post(path: str, data: dict[str, Any], **kw: Any) -> Any:
        r = c.post(path, data={**data, "csrf_token": token}, **kw)
        assert r.status_code == 303, (path, r.status_code, r.text[:200])
        return r

    post("/studies/s1/sites", {"code": "OT", "name": "Acute OT", "timezone": "Europe/London"})
    post(
        "/studies/s1/participants",
        {"code": "OT-01", "site": "OT", "profession": "occupational therapist", "band": "7"},
    )
    post(
        "/studies/s1/participants/OT-01/jobplan",
        {
            "weekday": ["0", "0", "2"],
            "start": ["09:00", "13:00", ""],  # a blank row is dropped
            "end": ["12:45", "17:00", ""],
            "category": ["DCC", "management", "SPA"],
        },
    )
    page = c.get("/studies/s1/participants/OT-01").text
    assert "not recorded" in page and "7.75 h a week" in page
    post("/studies/s1/participants/OT-01/consent", {"given": "yes", "form_version": "v2"})
    sid = server.store.studies.id("s1")
    assert accounts.consents(server.store, sid)["OT-01"].given
    # a job plan with overlapping sessions is refused, naming the problem; nothing changes
    post(
        "/studies/s1/participants/OT-01/jobplan",
        {"weekday": ["1", "1"], "start": ["09:00", "10:00"], "end": ["11:00", "12:00"]}
        | {"category": ["DCC", "DCC"]},
    )
    assert "sessions overlap on Tue" in c.get("/studies/s1/participants/OT-01").text
    plan = next(p for p in server.store.studies.participants(sid) if p.code == "OT-01").job_plan
    assert plan.weekly_hours == 7.75
    # a template uploaded as a file (multipart), then chosen for the study
    from workweave.io.templates import builtin_template

    tpl = builtin_template().to_dict()
    tpl["version"] = "2-test"
    tpl["categories"][0]["label"] = "Patient care (direct)"
    import yaml

    r = post(
        "/templates",
        {},
        files={"file": ("mine.yaml", yaml.safe_dump(tpl).encode(), "text/yaml")},
    )
    assert r.headers["location"] == "/templates/ahp-clinician-manager/2-test"
    post("/studies/s1/template", {"template": "ahp-clinician-manager@2-test"})
    r = c.get("/api/studies/s1/capture-config")
    assert r.status_code == 200, r.text[:300]
    cfg = r.json()
    assert cfg["template_key"] == "ahp-clinician-manager@2-test"
    post("/studies/s1/template", {"template": "ahp-clinician-manager@1"})
    # a bad template is refused with the line of the problem
    post("/templates", {"text": "name: x\nversion: 1\ncategories: [\n"})
    assert "not valid YAML/JSON" in c.get("/templates").text


def test_sign_in_goes_back_only_to_this_site(server: LiveServer) -> None:
    c = server.client(None)
    token = c.headers.pop("X-CSRF-Token")
    for target, expected in (
        ("/studies/s1", "/studies/s1"),
        ("//evil.example", "/"),
        ("/\\evil.example", "/"),
        ("https://evil.example/", "/"),
    ):
        r = c.post(
            "/login",
            data={
                "name": "obs1",
                "password": "test-password-1",
                "next": target,
                "csrf_token": token,
            },
        )
        assert (r.status_code, r.headers["location"]) == (303, expected)
        token = c.get("/api/session").json()["csrf"]
    r = c.post("/login", data={"name": "obs1", "password": "wrong", "csrf_token": token})
    assert r.status_code == 401 and "Wrong user name or password" in r.text


def test_dashboard_headline_comes_from_the_metric_registry(server: LiveServer) -> None:
    import importlib.util

    captured_session(server)
    c = server.client("res")
    head = c.get("/api/studies/s1/metrics").json()
    assert head["summary"]["total"]["sessions"] >= 1
    if importlib.util.find_spec("workweave.analysis.metrics") is not None:
        assert head["source"] == "metrics"
        ids = {i["id"] for i in head["items"]}
        assert {"domain_share_observed[managerial]", "interruptions_per_hour"} <= ids
    page = c.get("/studies/s1").text
    assert "Headline" in page and "By site" in page
    # the store stays healthy after the registry has read it (the server's own connections)
    assert c.get("/api/studies/s1/sessions").status_code == 200


# -- object-level rules: the same roles, someone else's object -------------------------------------


def _coding(server: LiveServer, coder: str) -> tuple[str, str]:
    """A field-note document of P1 in s1 with one coding by `coder`: (document, coding)."""
    from workweave.io.codebooks import DEFAULT_CODEBOOK
    from workweave.services import qualitative as qual

    sid = server.store.studies.id("s1")
    try:
        cb = qual.current_codebook(server.store, sid)
    except Exception:
        cb = qual.load_codebook(server.store, sid, DEFAULT_CODEBOOK).codebook
    code = next(c for c in cb.codes if c.codable)
    doc = qual.add_document_text(
        server.store,
        sid,
        f"Phoned the rota lead for {coder}.",
        title=f"note-{coder}",
        participant="P1",
    ).document
    c = qual.add_coding(
        server.store, sid, document=doc.key, code=code.guid, start=0, end=6, coder=coder
    )
    return doc.key, c.key


def _user(server: LiveServer, name: str, role: str, study: str | None, code: str | None) -> None:
    from tests.factories import PASSWORD

    if accounts.user_by_name(server.store, name) is None:
        accounts.add_user(server.store, name, role, PASSWORD)
    if study:
        accounts.grant(server.store, name, study, role, code=code)


def test_object_level_rules(server: LiveServer) -> None:
    """Each role on another user's object: another coder's coding and memo, another study's
    member, another participant's data, another observer's session. Every case is one
    request with the status it must get."""
    server.store.studies.create(Study("s9", "Another team's study"), exist_ok=True)
    _user(server, "res2", "researcher", "s1", None)
    _user(server, "obs9", "observer", "s9", "OBS-9")
    _user(server, "fresh", "observer", None, None)  # an account in no study yet
    key = captured_session(server, "P1")  # recorded by obs1
    own_doc, theirs = _coding(server, "res")
    mine_doc, mine = _coding(server, "res2")
    res, res2, obs2 = server.client("res"), server.client("res2"), server.client("obs2")
    part, adm = server.client("part"), server.client("adm")
    other_p = captured_session(server, "P2")
    cases: list[tuple[str, Any, str, str, dict[str, Any], int]] = [
        # another coder's coding and memo (res2 is a coder in s1 too)
        ("res2", res2, "POST", f"/studies/s1/documents/{own_doc}/codings/{theirs}/delete", {}, 403),
        (
            "res2",
            res2,
            "POST",
            f"/studies/s1/documents/{own_doc}/codings/{theirs}/memo",
            {"memo": "mine now"},
            403,
        ),
        (
            "res2",
            res2,
            "POST",
            f"/studies/s1/documents/{mine_doc}/codings/{mine}/memo",
            {"memo": "my own"},
            200,
        ),
        # another study's member: not listed, not enrolled (answered as no such user)
        ("res", res, "GET", "/api/users", {}, 403),
        ("res", res, "POST", "/api/studies/s1/members", {"user": "obs9", "role": "observer"}, 404),
        (
            "res",
            res,
            "POST",
            "/api/studies/s1/members",
            {"user": "nobody-at-all", "role": "observer"},
            404,
        ),
        ("res", res, "POST", "/api/studies/s1/members", {"user": "fresh", "role": "observer"}, 201),
        ("res", res, "GET", "/api/studies/s9/members", {}, 403),
        ("adm", adm, "POST", "/api/studies/s1/members", {"user": "obs9", "role": "observer"}, 201),
        # another participant's data
        ("part", part, "GET", f"/api/studies/s1/sessions/{other_p}", {}, 403),
        ("part", part, "GET", f"/api/studies/s1/sessions/{other_p}/edits", {}, 403),
        ("part", part, "GET", f"/studies/s1/sessions/{other_p}", {}, 403),
        ("part", part, "GET", "/api/studies/s1", {}, 403),
        # another observer's session
        ("obs2", obs2, "GET", f"/api/studies/s1/sessions/{key}", {}, 403),
        ("obs2", obs2, "GET", f"/api/studies/s1/sessions/{key}/edits", {}, 403),
        ("obs2", obs2, "GET", f"/studies/s1/sessions/{key}", {}, 403),
        ("obs2", obs2, "GET", f"/studies/s1/sessions/{key}/calibration", {}, 403),
        ("obs1", server.client("obs1"), "GET", f"/api/studies/s1/sessions/{key}", {}, 200),
        # study settings are the researchers'
        ("obs2", obs2, "POST", "/api/studies/s1/privacy", {"coders_edit_others": True}, 403),
    ]
    problems = []
    for who, c, method, url, body, want in cases:
        if method == "POST":
            kw = {"json": body} if url.startswith("/api/") else {"data": body}
            kw["headers"] = {"Accept": "application/json"}
            r = c.post(url, **kw)
        else:
            r = c.get(url)
        if r.status_code != want:
            problems.append(f"{who} {method} {url}: {r.status_code}, want {want}: {r.text[:160]}")
    assert not problems, "\n".join(problems)
    assert len(cases) >= 19
    # the lists show only what the rules allow
    listed = {s["key"] for s in obs2.get("/api/studies/s1/sessions").json()}
    assert key not in listed and other_p not in listed
    assert key not in obs2.get("/studies/s1/sessions").text
    members_page = res.get("/studies/s1/members").text
    assert "obs9" in members_page  # enrolled by the admin above: now a member of s1
    assert "res2" in members_page
    accounts.add_user(server.store, "hidden-elsewhere", "observer", "x-password-9")
    accounts.grant(server.store, "hidden-elsewhere", "s9", "observer")
    assert "hidden-elsewhere" not in res.get("/studies/s1/members").text
    assert "hidden-elsewhere" in adm.get("/studies/s1/members").text
    # the study lead lets coders edit each other's codings: then res2 may
    r = res.post("/api/studies/s1/privacy", json={"coders_edit_others": True})
    assert r.status_code == 200 and r.json()["coders_edit_others"] is True
    r = res2.post(
        f"/studies/s1/documents/{own_doc}/codings/{theirs}/memo",
        json={"memo": "agreed"},
        headers={"Accept": "application/json"},
    )
    assert r.status_code == 200, r.text
    res.post("/api/studies/s1/privacy", json={"coders_edit_others": False})


def test_small_numbers_are_not_shown_without_the_researcher_role(server: LiveServer) -> None:
    """Observers and participants never see a figure resting on fewer participants than the
    study's threshold; researchers do; a URL cannot lower the threshold."""
    captured_session(server, "P1")
    obs, res = server.client("obs1"), server.client("res")
    mine = obs.get("/api/studies/s1").json()
    full = res.get("/api/studies/s1").json()
    assert full["by_participant"] and full["suppressed_groups"] == 0
    assert mine["by_participant"] == [] and mine["suppressed_groups"] >= 1
    assert mine["suppress_below"] == 3
    small_sites = {r["group"] for r in full["by_site"]} - {r["group"] for r in mine["by_site"]}
    assert small_sites, "every site rests on fewer than 3 participants here"
    head = obs.get("/api/studies/s1/metrics").json()
    shown = [i for i in head["items"] if i.get("n_participants") and i["n_participants"] < 3]
    assert not shown or all(i["value"] == "suppressed" for i in shown)
    page = obs.get("/studies/s1").text
    assert "Groups of fewer than 3 participants are not shown" in page
    for r in full["by_participant"]:
        assert f'<td>{r["group"]}</td><td class="num">' not in page
    # a researcher raises the study's threshold; a link asking for 1 gets the study's value
    assert res.post("/api/studies/s1/privacy", json={"suppress_below": 4}).status_code == 200
    assert res.post("/api/studies/s1/privacy", json={"suppress_below": 1}).status_code == 422
    page = res.get("/studies/s1/codes?threshold=1").text
    assert "always hidden in this study" in page and 'value="4"' in page
    assert obs.get("/api/studies/s1").json()["suppress_below"] == 4
    res.post("/api/studies/s1/privacy", json={"suppress_below": 3})
