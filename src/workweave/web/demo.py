"""Demo sign-ins for the synthetic demo study."""

from __future__ import annotations

from typing import Any

from workweave.store import Store
from workweave.web import accounts

DEMO_PASSWORDS: dict[str, str] = {
    "admin": "admin-demo-pass",
    "researcher": "researcher-demo-pass",
    "observer": "observer-demo-pass",
    "participant": "participant-demo-pass",
}


def prepare_demo_users(store: Store, study: str | None = None) -> dict[str, Any]:
    """Make demo sign-ins (admin, researcher, observer, participant) for a study of the store
    (default: its only study), record consent for the demo participants, and return what to
    print: {'study', 'users': [{'name', 'role', 'password', 'participant'?}]}.

    Running it again resets the demo passwords and changes nothing else.
    """
    sid = store.studies.id(study)
    name = store.studies.get(sid).name
    participants = store.studies.participants(sid)
    if not participants:
        raise accounts.ValidationError(f"study '{name}' has no participants to link a login to")
    linked = participants[0].code
    users: list[dict[str, Any]] = []
    for role, password in DEMO_PASSWORDS.items():
        login = f"demo-{role}"
        if accounts.user_by_name(store, login) is None:
            accounts.add_user(store, login, role, password)
        else:
            accounts.set_password(store, login, password)
            accounts.set_role(store, login, role)
        entry: dict[str, Any] = {"name": login, "role": role, "password": password}
        if role == "researcher":
            accounts.grant(store, login, name, "researcher")
        elif role == "observer":
            accounts.grant(store, login, name, "observer", code=login)
        elif role == "participant":
            accounts.grant(store, login, name, "participant", code=linked)
            entry["participant"] = linked
        users.append(entry)
    given = accounts.consents(store, sid)
    for p in participants:
        if not (p.code in given and given[p.code].given):
            accounts.record_consent(
                store,
                sid,
                p.code,
                given=True,
                by=None,
                form_version="demo",
                note="synthetic demo participant",
            )
    return {"study": name, "users": users}


__all__ = ["DEMO_PASSWORDS", "prepare_demo_users"]
