"""Accounts as a service (``workweave.services.accounts``): the demo sign-ins."""

from __future__ import annotations

from pathlib import Path

from tests.factories import seed_users_study
from workweave.services import accounts
from workweave.services.accounts import prepare_demo_users
from workweave.store import Store


def test_demo_sign_ins(tmp_path: Path) -> None:
    st = Store.create(tmp_path / "d.sqlite")
    sid = seed_users_study(st)
    info = prepare_demo_users(st, "s1")
    again = prepare_demo_users(st, "s1")  # running it again changes nothing
    assert info == again and info["study"] == "s1"
    roles = {u["role"]: u for u in info["users"]}
    assert set(roles) == {"admin", "researcher", "observer", "participant"}
    for u in info["users"]:
        assert accounts.authenticate(st, u["name"], u["password"]) is not None
    assert roles["participant"]["participant"] == "P1"
    assert all(c.given for c in accounts.consents(st, sid).values())
    assert len(accounts.consents(st, sid)) == 4
