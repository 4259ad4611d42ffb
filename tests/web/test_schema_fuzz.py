"""The JSON API fuzzed from its own OpenAPI schema with schemathesis, in process (the ASGI
app is called directly), anonymous and signed in as a researcher of study s1: every
operation gets generated requests, valid and invalid by its schema (three in four aimed at
the real study s1 and its session, so that they pass the membership check and reach the
handlers), and every response must be no server error
(5xx), have a status the schema declares, match the declared body schema and content type.

Bounded: ``EXAMPLES`` generated requests per operation and mode (no shrinking, no example
database), so the run takes about a minute on two cores; ``WORKWEAVE_FUZZ_EXAMPLES=100``
runs longer."""

from __future__ import annotations

import collections
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis import checks as C  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402

from tests.factories import PASSWORD, seed_users_study  # noqa: E402
from workweave.store import Store  # noqa: E402
from workweave.web import create_app  # noqa: E402
from workweave.web.auth import SESSION_COOKIE  # noqa: E402

EXAMPLES = int(os.environ.get("WORKWEAVE_FUZZ_EXAMPLES", "12"))
CHECKS = [
    C.not_a_server_error,
    C.status_code_conformance,
    C.response_schema_conformance,
    C.content_type_conformance,
]
SIGNED_IN_SKIP = {"POST /api/logout", "POST /api/login"}
"""Signed-in runs leave out signing in and out (they would end the run's own session);
the anonymous run covers both."""

KNOWN_5XX: set[tuple[str, str]] = set()
"""(mode, operation) pairs whose server errors belong to work on another part of the code
(none at present)."""


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    location = str(Path(tmp_path_factory.mktemp("fuzz")) / "fuzz.sqlite")
    store = Store.create(location)
    seed_users_study(store)
    app = create_app(location)
    with TestClient(app) as client:
        token = client.get("/api/session").json()["csrf"]
        r = client.post(
            "/api/login",
            json={"name": "res", "password": PASSWORD},
            headers={"X-CSRF-Token": token},
        )
        assert r.status_code == 200, r.text
        key = _captured(client, r.json()["csrf"])
        signed = {
            "headers": {"X-CSRF-Token": r.json()["csrf"]},
            "cookies": {SESSION_COOKIE: client.cookies.get(SESSION_COOKIE)},
        }
    try:
        yield {"app": app, "signed": signed, "key": key}
    finally:
        app.state.store.close()
        store.close()


REAL = {"study": "s1", "code": "P1", "name": "ahp-clinician-manager", "version": "1"}


def _aimed(case: Any, real: bool, key: str) -> Any:
    """Most cases name the real study (and its session, participant, template)."""
    if real and case.path_parameters:
        for name in case.path_parameters:
            if name in REAL:
                case.path_parameters[name] = REAL[name]
            elif name == "key":
                case.path_parameters[name] = key
    return case


def _captured(client: TestClient, token: str) -> str:
    """A short captured session of P1 recorded by the signed-in researcher; its key."""
    session = "5b0f7c52-7a7e-4c1e-9d4f-0a1b2c3d4e5f"
    t = 1_795_000_000_000
    actions = [
        {"session": session, "seq": 0, "type": "session_start", "t": t}
        | {"payload": {"participant": "P1"}},
        {"session": session, "seq": 1, "type": "task_start", "t": t + 5000}
        | {"payload": {"task": "T1", "category": "ADMIN", "ends": [], "suspends": []}},
        {"session": session, "seq": 2, "type": "session_end", "t": t + 65000, "payload": {}},
    ]
    for i, a in enumerate(actions):
        a["uuid"] = f"00000000-0000-4000-8000-00000000000{i}"
    r = client.post(
        "/api/sync",
        json={"study": "s1", "clock": t + 66000, "actions": actions},
        headers={"X-CSRF-Token": token},
    )
    assert r.status_code == 200 and not r.json()["rejected"], r.text
    return f"capture:{session}"


def fuzz(app: Any, mode: str, auth: dict[str, Any], key: str) -> tuple[int, int, list[str]]:
    """(operations, requests, failures) of one mode."""
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app)
    failures: dict[tuple[str, int, str], str] = {}
    counts: collections.Counter[str] = collections.Counter()
    operations = 0
    for result in schema.get_all_operations():
        op = result.ok()
        if mode == "signed" and op.label in SIGNED_IN_SKIP:
            continue
        operations += 1
        cases = st.one_of(
            op.as_strategy(GenerationMode.POSITIVE), op.as_strategy(GenerationMode.NEGATIVE)
        )
        aimed = st.sampled_from([True, True, True, False])
        strategy = st.tuples(cases, aimed).map(lambda x: _aimed(*x, key))

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def run(case: Any) -> None:
            response = case.call(**auth)
            counts["requests"] += 1
            counts[str(response.status_code)] += 1
            if response.status_code >= 500:
                counts["5xx"] += 1
            try:
                case.validate_response(response, checks=CHECKS)
            except BaseException as exc:  # schemathesis raises an exception group
                key = (case.operation.label, response.status_code, type(exc).__name__)
                failures.setdefault(key, f"{exc}"[:800])

        run()
    problems = [
        f"{mode} {label} -> {status}: {text}"
        for (label, status, _), text in sorted(failures.items())
        if (mode, label) not in KNOWN_5XX
    ]
    statuses = sorted((k, v) for k, v in counts.items() if k.isdigit())
    print(f"schemathesis {mode}: statuses {statuses}")
    return operations, counts["requests"], problems


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["anonymous", "signed"])
def test_api_conforms_to_its_schema(fuzz_app: dict[str, Any], mode: str) -> None:
    auth = fuzz_app["signed"] if mode == "signed" else {}
    operations, requests, problems = fuzz(fuzz_app["app"], mode, auth, fuzz_app["key"])
    print(f"schemathesis {mode}: {operations} operations, {requests} requests")
    assert operations >= 30
    assert requests >= operations * EXAMPLES // 2
    assert not problems, "\n\n".join(problems)


def test_error_responses_are_declared(fuzz_app: dict[str, Any]) -> None:
    """Every API operation declares 400/401/403/404/409/413/422/429 with the one error body,
    and a 422 answer matches it."""
    client = TestClient(fuzz_app["app"])
    schema = client.get("/api/openapi.json").json()
    assert "ErrorOut" in schema["components"]["schemas"]
    for path, item in schema["paths"].items():
        for method, op in item.items():
            declared = set(op["responses"])
            missing = {"400", "401", "403", "404", "409", "413", "422", "429"} - declared
            assert not missing, f"{method.upper()} {path} leaves out {sorted(missing)}"
            ref = op["responses"]["422"]["content"]["application/json"]["schema"]["$ref"]
            assert ref.endswith("/ErrorOut")
    r = client.post(
        "/api/studies",
        json={"title": 1},
        headers=fuzz_app["signed"]["headers"],
        cookies=fuzz_app["signed"]["cookies"],
    )
    assert r.status_code == 422
    body = r.json()
    assert set(body) == {"detail", "problems"} and isinstance(body["detail"], str)
    assert any(p.startswith("name:") for p in body["problems"])
