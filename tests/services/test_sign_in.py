"""Sign-in hardening in ``workweave.services.accounts``: the password policy, throttling with a
temporary lock (an injected clock, no sleeping), the bound on concurrent password checks,
server-side sessions with idle and absolute expiry, and the cookie-signing secret kept in a
file with owner-only permissions (never in the database)."""

from __future__ import annotations

import stat
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.factories import PASSWORD, seed_users_study
from workweave.domain.accounts import ACCOUNT_THROTTLE, ADDRESS_THROTTLE, SessionPolicy
from workweave.domain.errors import ValidationError
from workweave.services import accounts
from workweave.store import Store
from workweave.store import schema_web as W

T0 = 1_800_000_000_000
MINUTE = 60_000


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 at its smallest cost: these tests are about the rules around it."""
    from argon2 import PasswordHasher

    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    monkeypatch.setattr(accounts, "_hasher", cheap)
    monkeypatch.setattr(accounts, "_DUMMY", cheap.hash("not a password"))


@pytest.fixture
def st(store_location: str) -> Store:
    store = Store.create(store_location)
    seed_users_study(store)
    return store


# -- the password policy ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("password", "12 characters"),
        ("12345678", "12 characters"),
        ("123456789012", "too easy to guess"),
        ("passwordpassword", "too easy to guess"),
        ("qwertyuiop123", "too easy to guess"),
        ("Password1234", "too easy to guess"),
        ("maria-wren-kettle-harbour", "user name"),
        ("MARIA-wren-kettle-harbour", "user name"),
        ("x" * 1025, "at most 1024"),
    ],
)
def test_weak_passwords_are_refused_with_a_reason(password: str, why: str) -> None:
    problems = accounts.password_problems(password, "maria")
    assert problems and why in "; ".join(problems)
    with pytest.raises(ValidationError, match=why):
        accounts.check_password(password, "maria")


def test_strong_passwords_and_the_demo_passwords_pass() -> None:
    assert accounts.password_problems("wren-kettle-harbour-42", "maria") == []
    for role, password in accounts.DEMO_PASSWORDS.items():
        assert accounts.password_problems(password, f"demo-{role}") == []


def test_the_policy_holds_wherever_a_password_is_set(st: Store) -> None:
    with pytest.raises(ValidationError, match="user name"):
        accounts.add_user(st, "maria", "observer", "maria-wren-kettle")
    with pytest.raises(ValidationError, match="12 characters"):
        accounts.set_password(st, "obs1", "12345678")
    assert accounts.user_by_name(st, "maria") is None
    assert accounts.authenticate(st, "obs1", PASSWORD) is not None  # unchanged


# -- throttling ---------------------------------------------------------------------------------


def test_thirty_wrong_passwords_are_throttled_and_lock_out_the_right_one(st: Store) -> None:
    outcomes = []
    for i in range(30):
        try:
            accounts.sign_in(st, "obs1", f"wrong-{i}", address="10.0.0.1", now=T0 + i * 1000)
        except accounts.SignInError as exc:
            outcomes.append(type(exc).__name__)
    assert outcomes[: ACCOUNT_THROTTLE.limit] == ["WrongCredentials"] * ACCOUNT_THROTTLE.limit
    assert set(outcomes[ACCOUNT_THROTTLE.limit :]) == {"SignInLocked"}
    # the right password is refused while locked ...
    with pytest.raises(accounts.SignInLocked) as locked:
        accounts.sign_in(st, "obs1", PASSWORD, address="10.0.0.2", now=T0 + 40_000)
    assert locked.value.retry_after_s and locked.value.retry_after_s <= 60
    # ... and works once the lock has ended; success clears the account's count
    user = accounts.sign_in(st, "obs1", PASSWORD, address="10.0.0.2", now=T0 + 5 * MINUTE)
    assert user.name == "obs1" and accounts.failed_sign_ins(st, "obs1") == 0


def test_the_lock_doubles_up_to_fifteen_minutes() -> None:
    p = ACCOUNT_THROTTLE
    assert [p.lock_ms(n) // MINUTE for n in range(4, 11)] == [0, 1, 2, 4, 8, 15, 15]


def test_unknown_names_are_throttled_exactly_like_real_ones(st: Store) -> None:
    for name in ("obs1", "nobody-here"):
        kinds = []
        for i in range(7):
            try:
                accounts.sign_in(st, name, "wrong-password", now=T0 + i)
            except accounts.SignInError as exc:
                kinds.append((type(exc).__name__, str(exc)))
        assert [k for k, _ in kinds] == ["WrongCredentials"] * 5 + ["SignInLocked"] * 2
        assert kinds[0][1] == "wrong user name or password"


def test_one_address_guessing_many_names_is_locked(st: Store) -> None:
    for i in range(ADDRESS_THROTTLE.limit):
        with pytest.raises(accounts.WrongCredentials):
            accounts.sign_in(st, f"name{i}", "wrong-password", address="10.9.9.9", now=T0 + i)
    with pytest.raises(accounts.SignInLocked):
        accounts.sign_in(st, "obs2", PASSWORD, address="10.9.9.9", now=T0 + 100)
    # another address is not affected
    assert accounts.sign_in(st, "obs2", PASSWORD, address="10.1.1.1", now=T0 + 100).name == "obs2"


def test_failures_long_ago_start_the_count_again(st: Store) -> None:
    for i in range(4):
        with pytest.raises(accounts.WrongCredentials):
            accounts.sign_in(st, "res", "wrong-password", now=T0 + i)
    later = T0 + ACCOUNT_THROTTLE.window_ms + 10
    with pytest.raises(accounts.WrongCredentials):
        accounts.sign_in(st, "res", "wrong-password", now=later)
    assert accounts.failed_sign_ins(st, "res") == 1


def test_concurrent_password_checks_are_bounded(st: Store) -> None:
    checks = accounts.PasswordChecks(2, wait_s=0)
    held = [checks.slot(), checks.slot()]
    for h in held:
        h.__enter__()
    try:
        with pytest.raises(accounts.SignInBusy) as busy:
            accounts.sign_in(st, "obs1", PASSWORD, checks=checks)
        assert busy.value.status == 503
        assert accounts.failed_sign_ins(st, "obs1") == 0  # a busy server counts no failure
    finally:
        for h in held:
            h.__exit__(None, None, None)
    assert accounts.sign_in(st, "obs1", PASSWORD, checks=checks).name == "obs1"


def test_at_most_the_bound_run_at_once(tmp_path: Path) -> None:
    checks = accounts.PasswordChecks(3, wait_s=5)
    running = peak = 0
    lock = threading.Lock()
    gate = threading.Barrier(8)

    def attempt() -> None:
        nonlocal running, peak
        gate.wait()
        with checks.slot():
            with lock:
                running += 1
                peak = max(peak, running)
            time.sleep(0.02)  # overlap the attempts
            with lock:
                running -= 1

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert 1 <= peak <= 3


# -- server-side sessions -------------------------------------------------------------------------


def test_sessions_expire_when_idle_and_absolutely(st: Store) -> None:
    user = accounts.user_by_name(st, "obs1")
    assert user is not None
    policy = SessionPolicy(absolute_ms=12 * 60 * MINUTE, idle_ms=30 * MINUTE)
    sid = accounts.start_session(st, user, policy=policy, now=T0)
    # the store keeps only the id's hash
    with st.engine.connect() as conn:
        stored = conn.execute(select(W.web_sessions.c.id_hash)).scalars().all()
    assert sid not in stored and len(stored) == 1
    # used every 20 minutes it lives on, until its absolute expiry
    t = T0
    while t + 20 * MINUTE < T0 + policy.absolute_ms:
        t += 20 * MINUTE
        assert accounts.session_user(st, sid, policy=policy, now=t) == user
    assert accounts.session_user(st, sid, policy=policy, now=T0 + policy.absolute_ms) is None
    # unused for 30 minutes it ends
    sid2 = accounts.start_session(st, user, policy=policy, now=T0)
    assert accounts.session_user(st, sid2, policy=policy, now=T0 + 29 * MINUTE) == user
    assert accounts.session_user(st, sid2, policy=policy, now=T0 + 60 * MINUTE) is None
    assert accounts.session_user(st, sid2, policy=policy, now=T0 + 61 * MINUTE) is None


def test_logout_password_change_disabling_and_rotation_end_sessions(
    st: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(accounts.ENV_SECRET_KEY, raising=False)
    monkeypatch.setenv(accounts.ENV_SECRET_FILE, str(tmp_path / "secret.key"))
    obs1, obs2 = accounts.user_by_name(st, "obs1"), accounts.user_by_name(st, "obs2")
    assert obs1 is not None and obs2 is not None
    a, b = accounts.start_session(st, obs1), accounts.start_session(st, obs1)
    accounts.end_session(st, a)
    assert accounts.session_user(st, a) is None and accounts.session_user(st, b) == obs1
    accounts.set_password(st, "obs1", "a-new-kettle-harbour")
    assert accounts.session_user(st, b) is None
    c = accounts.start_session(st, obs2)
    accounts.set_active(st, "obs2", False)
    assert accounts.session_user(st, c) is None
    accounts.set_active(st, "obs2", True)
    d, e = accounts.start_session(st, obs1), accounts.start_session(st, obs2)
    old = accounts.secret_key(st)
    path, ended = accounts.rotate_secret(st)
    assert ended == 2 and path == tmp_path / "secret.key"
    assert accounts.session_user(st, d) is None and accounts.session_user(st, e) is None
    assert accounts.secret_key(st) != old


# -- the cookie-signing secret ------------------------------------------------------------------


def test_the_secret_is_a_private_file_beside_a_sqlite_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(accounts.ENV_SECRET_KEY, raising=False)
    monkeypatch.delenv(accounts.ENV_SECRET_FILE, raising=False)
    st = Store.create(tmp_path / "w.sqlite")
    key = accounts.secret_key(st)
    path = tmp_path / "secret.key"
    assert accounts.secret_file(st) == path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text().strip() == key and len(key) >= 48
    assert accounts.secret_key(st) == key  # read back, not made again
    with st.engine.connect() as conn:  # never in the database
        assert conn.execute(select(W.web_settings)).all() == []
    accounts.rotate_secret(st)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and accounts.secret_key(st) != key
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("secret")] == ["secret.key"]


def test_the_secret_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    st = Store.create(tmp_path / "w.sqlite")
    monkeypatch.setenv(accounts.ENV_SECRET_KEY, "k" * 40)
    assert accounts.secret_key(st) == "k" * 40
    assert not (tmp_path / "secret.key").exists()
    path, _ = accounts.rotate_secret(st)
    assert path is None  # it must be changed where it is set
    monkeypatch.setenv(accounts.ENV_SECRET_KEY, "short")
    with pytest.raises(ValidationError, match="32 characters"):
        accounts.secret_key(st)
    monkeypatch.delenv(accounts.ENV_SECRET_KEY)
    monkeypatch.setenv(accounts.ENV_SECRET_FILE, str(tmp_path / "etc" / "ww.key"))
    accounts.secret_key(st)
    assert stat.S_IMODE((tmp_path / "etc" / "ww.key").stat().st_mode) == 0o600
