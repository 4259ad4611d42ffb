"""Anonymous abuse of the sign-in, measured on a live uvicorn server (a separate process):

* a 100 MB and a 200 MB anonymous form POST to /login (with Content-Length, then chunked):
  time until the server answers, its CPU time and resident memory (RSS) after, its peak RSS;
* 32 concurrent anonymous sign-ins to /api/login: the statuses and the server's peak RSS;
* 30 wrong passwords for one account: the statuses, the time, and whether the right password
  is then refused while the lock lasts.

    .venv/bin/python bench/web_limits.py                 # this checkout
    .venv/bin/python bench/web_limits.py --src ../main/src --sizes 100   # another checkout

Prints figures; asserts nothing. Linux only (reads /proc).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import select
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

PASSWORD = "wren-kettle-harbour-42"
MB = 1_000_000


def proc(pid: int) -> dict[str, float]:
    """Resident memory now and at peak (MiB) and CPU seconds of a process."""
    status = Path(f"/proc/{pid}/status").read_text()
    rss = int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024  # type: ignore[union-attr]
    hwm = int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) / 1024  # type: ignore[union-attr]
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return {"rss": rss, "peak": hwm, "cpu": (int(fields[11]) + int(fields[12])) / tick}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(src: Path, folder: Path) -> tuple[subprocess.Popen[bytes], int]:
    env = {**os.environ, "PYTHONPATH": str(src), "WORKWEAVE_STORE": str(folder / "w.sqlite")}
    env.pop("WORKWEAVE_SECRET_KEY", None)
    env["WORKWEAVE_SECRET_FILE"] = str(folder / "secret.key")
    store = str(folder / "w.sqlite")
    setup = (
        "from workweave.store import Store\n"
        "from workweave.services import accounts\n"
        f"st = Store.create({store!r})\n"
        f"accounts.add_user(st, 'bench-user', 'admin', {PASSWORD!r})\n"
    )
    subprocess.run([sys.executable, "-c", setup], env=env, check=True)
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "workweave.web.app:app_from_environment",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).read()
            return server, port
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("the server did not start")


def anonymous_session(port: int) -> tuple[str, str]:
    """(cookie header, CSRF token) of an anonymous session, as a browser has on /login."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    token = json.loads(opener.open(f"http://127.0.0.1:{port}/api/session").read())["csrf"]
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    return cookie, token


def big_post(port: int, size: int, *, chunked: bool, cookie: str) -> tuple[float, str]:
    """Send an anonymous form POST of `size` bytes to /login; (seconds until the answer,
    status line)."""
    head = (
        "POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Cookie: {cookie}\r\n"
        + ("Transfer-Encoding: chunked\r\n" if chunked else f"Content-Length: {size}\r\n")
        + "\r\n"
    )
    block = b"a" * (1 << 20)
    t0 = time.monotonic()
    answer = b""
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(head.encode())
        sent = 0
        try:
            while sent < size:
                readable, _, _ = select.select([s], [], [], 0)
                if readable:
                    break
                n = min(len(block), size - sent)
                piece = block[:n]
                s.sendall(f"{n:x}\r\n".encode() + piece + b"\r\n" if chunked else piece)
                sent += n
            if sent >= size and chunked:
                s.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        s.settimeout(300)
        try:
            answer = s.recv(200)
        except (ConnectionResetError, TimeoutError):
            answer = b"(connection closed)"
    return time.monotonic() - t0, answer.split(b"\r\n", 1)[0].decode(errors="replace")


def login(port: int, name: str, password: str) -> int:
    cookie, token = anonymous_session(port)
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/login",
        data=json.dumps({"name": name, "password": password}).encode(),
        headers={"Content-Type": "application/json", "X-CSRF-Token": token, "Cookie": cookie},
    )
    try:
        return int(urllib.request.urlopen(req, timeout=600).status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--src", type=Path, default=Path(__file__).resolve().parents[1] / "src")
    ap.add_argument("--sizes", type=int, nargs="+", default=[100, 200], help="MB to send")
    ap.add_argument("--skip-chunked", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server, port = start(args.src.resolve(), Path(tmp))
        try:
            p = proc(server.pid)
            print(f"server {args.src}: RSS {p['rss']:.0f} MiB at start")
            for size in args.sizes:
                for chunked in (False, True) if not args.skip_chunked else (False,):
                    cookie, _ = anonymous_session(port)
                    before = proc(server.pid)
                    took, status = big_post(port, size * MB, chunked=chunked, cookie=cookie)
                    time.sleep(0.2)
                    after = proc(server.pid)
                    kind = "chunked" if chunked else "Content-Length"
                    print(
                        f"{size} MB anonymous POST /login ({kind}): {status!r} after {took:.2f} s;"
                        f" server CPU {after['cpu'] - before['cpu']:.2f} s, RSS {after['rss']:.0f}"
                        f" MiB (peak so far {after['peak']:.0f} MiB)"
                    )
            # 32 concurrent anonymous sign-ins
            before = proc(server.pid)
            statuses: list[int] = []
            threads = [
                threading.Thread(
                    target=lambda i=i: statuses.append(login(port, f"nobody{i}", "wrong-guess"))
                )
                for i in range(32)
            ]
            t0 = time.monotonic()
            for t in threads:
                t.start()
            peak = before["rss"]
            while any(t.is_alive() for t in threads):
                peak = max(peak, proc(server.pid)["rss"])
                time.sleep(0.05)
            took = time.monotonic() - t0
            counts = {s: statuses.count(s) for s in sorted(set(statuses))}
            print(
                f"32 concurrent anonymous sign-ins: {counts} in {took:.1f} s; server RSS "
                f"{before['rss']:.0f} -> peak {peak:.0f} MiB (sampled), VmHWM "
                f"{proc(server.pid)['peak']:.0f} MiB"
            )
            # 30 wrong passwords for one account (a fresh server: no address lock yet)
        finally:
            server.terminate()
            server.wait(30)
    with tempfile.TemporaryDirectory() as tmp:
        server, port = start(args.src.resolve(), Path(tmp))
        try:
            t0 = time.monotonic()
            seen = [login(port, "bench-user", f"wrong-{i}") for i in range(30)]
            took = time.monotonic() - t0
            counts = {s: seen.count(s) for s in sorted(set(seen))}
            first = next((i + 1 for i, s in enumerate(seen) if s in (429, 503)), None)
            right = login(port, "bench-user", PASSWORD)
            print(
                f"30 wrong passwords: {counts} in {took:.1f} s (first refused unchecked: "
                f"attempt {first}); then the right password: {right}"
            )
        finally:
            server.terminate()
            server.wait(30)


if __name__ == "__main__":
    main()
