"""Hundreds of console sessions on one jump host: plain console processes
against sessions forked by the preloaded session server.

    python bench/bench_sessions.py [--sessions 100] [--million] [--keep DIR]

On SQLite demo data (``backoffice db upgrade`` + ``demo load``), in one run:

(a) baseline: N plain consoles (``python -m backoffice_tui.cli.main
    --database URL --user LOGIN``), each in its own 80x24 pty, started one
    after another, each waited for until its home screen is painted (the
    operator's counts and the header naming them); seconds from spawn to
    that paint (median, p95); then, all N alive, PSS per session from
    /proc/PID/smaps_rollup (mean) and the total;
(b) the same through ``backoffice sessions serve``: each session asked for by
    the thin client (``python -m backoffice_tui.gateway.client``), timed from
    the client's spawn to the paint. A session's memory is its forked console
    plus its client, and the server's own PSS counted once, divided over the
    N sessions (PSS already splits every shared page between the processes
    that map it, so the sum over server, consoles and clients is what the
    host really holds);
(c) with ``--million``: one session at 1,000,000 work items on the queue
    screen (database from ``backoffice demo generate``), paged as
    bench_console.py does: the peak of the forked console's PSS, sampled
    every 20 ms, is compared with the 80 MiB target; its VmHWM is printed
    too, but for a forked child that counts every page it shares with the
    server. A plain console on the same database, same keys, is the baseline.

Every process is started in its own process group and killed with it on
exit; the forked consoles, which run in their own sessions, are killed one by
one. ``--deadline`` bounds the run. Figures print as tables, then one JSON
line.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.report import heading, p95, table, verdict
from tests.gateway.client_session import ClientSession, session_pids
from tests.tui.pty_session import PtySession

PSS_TARGET_MIB = 35.0
PAINT_TARGET_S = 0.4
MILLION_TARGET_MIB = 80.0
MILLION = 1_000_000
QUEUE_USER = "yamamoto"  # a build operator in every generated database
ENV = {"BACKOFFICE_CONFIG": "/nonexistent/config.toml"}
PACKAGE = Path(__file__).resolve().parents[1] / "src" / "backoffice_tui"
COMPILE_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "backoffice_tui.cli.main", *args]


def kib(pid: int, field_name: str, source: str = "smaps_rollup") -> int:
    for line in Path(f"/proc/{pid}/{source}").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1])
    raise KeyError(field_name)


def pss_mib(pid: int) -> float:
    return kib(pid, "Pss") / 1024


class Deadline:
    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        left = self.end - time.monotonic()
        if left <= 0:
            raise TimeoutError("the run's deadline passed (--deadline)")
        return left


# --- databases ----------------------------------------------------------------


def prepare_demo(path: Path) -> str:
    url = f"sqlite:///{path}"
    if not path.exists():
        subprocess.run(cli("--database", url, "db", "upgrade"), check=True, capture_output=True)
        subprocess.run(cli("--database", url, "demo", "load"), check=True, capture_output=True)
    return url


def prepare_million(path: Path) -> str:
    url = f"sqlite:///{path}"
    if not path.exists():
        subprocess.run(cli("--database", url, "db", "upgrade"), check=True, capture_output=True)
        subprocess.run(
            cli(
                "--database", url, "demo", "generate",
                "--customers", str(MILLION // 50), "--work-items", str(MILLION),
            ),
            check=True,
            capture_output=True,
        )  # fmt: skip
    return url


def demo_logins(url: str) -> list[str]:
    listed = subprocess.run(
        cli("--database", url, "users", "list", "--json"),
        check=True,
        capture_output=True,
        text=True,
    )
    return [user["login"] for user in json.loads(listed.stdout)]


# --- sessions -----------------------------------------------------------------


def home_markers(login: str) -> tuple[bytes, ...]:
    """The home screen painted with the operator's own figures."""
    return (b"Overdue in my teams", f"{login} (".encode())


def drain(sessions: list[PtySession]) -> None:
    """Read what every session wrote, so that no terminal fills and blocks a console."""
    masters = {s.master: s for s in sessions}
    while masters:
        ready, _, _ = select.select(list(masters), [], [], 0)
        if not ready:
            return
        for master in ready:
            try:
                data = os.read(master, 65536)
            except OSError:
                data = b""
            if not data:
                masters.pop(master)


def wait_painted(
    session: PtySession, login: str, others: list[PtySession], deadline: Deadline
) -> float:
    markers = home_markers(login)
    limit = time.perf_counter() + min(60.0, deadline.left())
    while not all(m in session.output for m in markers):
        if time.perf_counter() > limit:
            raise TimeoutError(
                f"{login}: home screen not painted; got {bytes(session.output[-400:])!r}"
            )
        session.read(0.005)
        drain(others)
    painted = time.perf_counter() - session.started
    session.output.clear()
    return painted


def kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


@dataclass
class Run:
    """Everything started, so that an interrupted run still cleans up."""

    sessions: list[PtySession] = field(default_factory=list)
    server: subprocess.Popen[bytes] | None = None

    def close_sessions(self) -> None:
        forked = session_pids(self.server.pid) if self.server and self.server.poll() is None else []
        for session in self.sessions:
            kill_group(session.process.pid)
        for pid in forked:  # in their own sessions: not in any client's group
            kill_group(pid)
        for session in self.sessions:
            with contextlib.suppress(subprocess.TimeoutExpired):
                session.process.wait(10)
            with contextlib.suppress(OSError):
                os.close(session.master)
        self.sessions.clear()

    def close(self) -> None:
        self.close_sessions()
        if self.server is not None:
            kill_group(self.server.pid)
            self.server.wait(10)
            self.server = None


@dataclass
class Figures:
    paints: list[float]
    pss: list[float]  # per session, MiB, server's share included
    total_mib: float
    parts: dict[str, float] = field(default_factory=dict)


def start_server(run: Run, url: str, socket_path: Path, deadline: Deadline) -> float:
    started = time.perf_counter()
    log = socket_path.with_suffix(".log")
    run.server = subprocess.Popen(
        cli("--database", url, "sessions", "serve", "--socket", str(socket_path)),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
        env={**os.environ, **ENV},
        start_new_session=True,
    )
    while b"serving console sessions" not in log.read_bytes():
        if run.server.poll() is not None:
            raise RuntimeError(f"session server ended: {log.read_text()}")
        deadline.left()
        time.sleep(0.01)
    return time.perf_counter() - started


def measure_many(
    run: Run, logins: list[str], count: int, spawn: Callable[[str], PtySession], deadline: Deadline
) -> list[float]:
    """Start ``count`` sessions one after another, each painted before the
    next; their paint times. All of them are alive when this returns."""
    paints = []
    for n in range(count):
        login = logins[n % len(logins)]
        session = spawn(login)
        run.sessions.append(session)
        paints.append(wait_painted(session, login, run.sessions[:-1], deadline))
    settle = time.perf_counter() + 2.0
    while time.perf_counter() < settle:
        drain(run.sessions)
        time.sleep(0.05)
    return paints


def plain_consoles(
    run: Run, url: str, logins: list[str], count: int, deadline: Deadline
) -> Figures:
    def spawn(login: str) -> PtySession:
        return PtySession(["--database", url, "--user", login], env=ENV)

    paints = measure_many(run, logins, count, spawn, deadline)
    pss = [pss_mib(s.process.pid) for s in run.sessions]
    run.close_sessions()
    return Figures(paints, pss, sum(pss))


def served_sessions(
    run: Run, logins: list[str], count: int, socket_path: Path, deadline: Deadline
) -> Figures:
    def spawn(login: str) -> PtySession:
        return ClientSession(["--socket", str(socket_path), "gateway", login], env=ENV)

    assert run.server is not None
    server_before = pss_mib(run.server.pid)
    paints = measure_many(run, logins, count, spawn, deadline)
    forked = session_pids(run.server.pid)
    assert len(forked) == count, f"{len(forked)} sessions forked for {count} clients"
    consoles = [pss_mib(pid) for pid in forked]
    clients = [pss_mib(s.process.pid) for s in run.sessions]
    server = pss_mib(run.server.pid)
    share = server / count
    pss = [c + k + share for c, k in zip(consoles, clients, strict=True)]
    run.close_sessions()
    parts = {
        "console_mean_mib": statistics.mean(consoles),
        "client_mean_mib": statistics.mean(clients),
        "server_mib": server,
        "server_alone_mib": server_before,
        "server_share_mib": share,
    }
    return Figures(paints, pss, sum(pss), parts)


# --- one session at a million items ---------------------------------------------


@contextlib.contextmanager
def sampled_pss(pid_of: Callable[[], int | None]) -> Iterator[list[float]]:
    """PSS samples every 20 ms while the block runs."""
    samples: list[float] = []
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.02):
            pid = pid_of()
            if pid is not None:
                with contextlib.suppress(OSError, KeyError):
                    samples.append(pss_mib(pid))

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield samples
    finally:
        stop.set()
        thread.join()


def page_through(session: PtySession) -> None:
    """The keys bench_console.py sends: moves, scrolls, page downs, End."""
    session.wait_for(b" items", b"GO-", timeout=120)
    session.quiet()
    for _ in range(40):
        session.timed_key(b"j", settle=0.1)
    for _ in range(20):
        session.timed_key(b"\x1b[6~", settle=0.1)
    session.timed_key(b"G")
    session.quiet()


def million_session(run: Run, url: str, socket_path: Path, deadline: Deadline) -> dict[str, float]:
    figures: dict[str, float] = {}
    plain = PtySession(["--database", url, "--user", QUEUE_USER, "--screen", "queue"], env=ENV)
    run.sessions.append(plain)
    with sampled_pss(lambda: plain.process.pid) as samples:
        page_through(plain)
    figures["plain_vmhwm_mib"] = kib(plain.process.pid, "VmHWM", "status") / 1024
    figures["plain_pss_peak_mib"] = max(samples)
    run.close_sessions()

    # a server of its own, on the database its sessions open
    if run.server is not None:
        kill_group(run.server.pid)
        run.server.wait(10)
        run.server = None
    socket_path.unlink(missing_ok=True)
    figures["server_start_s"] = start_server(run, url, socket_path, deadline)
    assert run.server is not None
    server = run.server.pid
    client = ClientSession(
        ["--socket", str(socket_path), "--screen", "queue", "gateway", QUEUE_USER], env=ENV
    )
    run.sessions.append(client)

    def forked() -> int | None:
        pids = session_pids(server)
        return pids[0] if pids else None

    with sampled_pss(forked) as samples:
        page_through(client)
    pid = forked()
    assert pid is not None
    figures["session_vmhwm_mib"] = kib(pid, "VmHWM", "status") / 1024
    figures["session_rss_mib"] = kib(pid, "Rss") / 1024
    figures["session_pss_peak_mib"] = max(samples)
    figures["client_pss_mib"] = pss_mib(client.process.pid)
    figures["server_pss_mib"] = pss_mib(server)
    run.close_sessions()
    return figures


# --- report -------------------------------------------------------------------


def client_import_ms() -> float:
    """What the client's imports cost, by ``python -X importtime``."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import backoffice_tui.gateway.client"],
        capture_output=True,
        text=True,
        check=True,
    )
    line = next(x for x in result.stderr.splitlines() if x.rstrip().endswith("gateway.client"))
    return int(line.split("|")[1]) / 1000


def summary(name: str, f: Figures) -> dict[str, float]:
    return {
        f"{name}_paint_median_s": statistics.median(f.paints),
        f"{name}_paint_p95_s": p95(f.paints),
        f"{name}_pss_mean_mib": statistics.mean(f.pss),
        f"{name}_total_mib": f.total_mib,
        **{f"{name}_{k}": v for k, v in f.parts.items()},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=100, help="sessions side by side")
    parser.add_argument("--million", action="store_true", help="also one session at 1M items")
    parser.add_argument("--keep", type=Path, help="reuse or keep the databases in this folder")
    parser.add_argument("--deadline", type=float, default=570.0, help="seconds for the whole run")
    args = parser.parse_args()
    deadline = Deadline(args.deadline)
    folder = args.keep or Path(tempfile.mkdtemp(prefix="backoffice-sessions-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="bo-sessions-"))  # a short path for the socket
    socket_path = scratch / "sessions.sock"
    run = Run()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    million: dict[str, float] = {}
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {args.sessions} sessions")
    try:
        # bytecode for every module, as an installed package has it: without it
        # each process compiles what changed since the last run (time and memory)
        subprocess.run(
            [sys.executable, "-m", "compileall", "-q", str(PACKAGE)], check=True, env=COMPILE_ENV
        )
        url = prepare_demo(folder / "sessions-demo.db")
        logins = demo_logins(url)
        print(f"demo database ready: {len(logins)} operators, one session each in turn")
        plain = plain_consoles(run, url, logins, args.sessions, deadline)
        print(f"(a) {args.sessions} plain consoles measured")
        server_start = start_server(run, url, socket_path, deadline)
        served = served_sessions(run, logins, args.sessions, socket_path, deadline)
        print(f"(b) {args.sessions} served sessions measured")
        if args.million:
            started = time.perf_counter()
            million_url = prepare_million(folder / "sessions-1m.db")
            print(
                f"database with 1,000,000 work items ready ({time.perf_counter() - started:.1f} s)"
            )
            million = million_session(run, million_url, socket_path, deadline)
            print("(c) one session at 1,000,000 work items measured")
    finally:
        run.close()
        shutil.rmtree(scratch, ignore_errors=True)
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)
    import_ms = client_import_ms()

    n = args.sessions
    heading(f"{n} console sessions side by side, SQLite demo data, 80x24 ptys")
    rows = []
    for name, f in (("plain console processes", plain), ("session server", served)):
        rows.append(
            (
                name,
                f"{statistics.median(f.paints):.3f}",
                f"{p95(f.paints):.3f}",
                f"{statistics.mean(f.pss):.1f}",
                f"{f.total_mib:,.0f}",
            )
        )
    table(
        [
            "",
            "paint median s",
            "paint p95 s",
            "PSS/session MiB",
            "total PSS MiB",
        ],
        rows,
    )
    print(
        "paint: from spawning the console (a) or the client (b) to the home screen with the "
        "operator's figures"
    )
    p = served.parts
    print(
        f"served session = forked console {p['console_mean_mib']:.1f} MiB + client "
        f"{p['client_mean_mib']:.1f} MiB + server {p['server_mib']:.1f} MiB / {n} = "
        f"{p['server_share_mib']:.2f} MiB (server alone before any session: "
        f"{p['server_alone_mib']:.1f} MiB PSS; started and preloaded in {server_start:.2f} s)"
    )
    paint_ratio = statistics.median(served.paints) / statistics.median(plain.paints)
    pss_ratio = statistics.mean(served.pss) / statistics.mean(plain.pss)
    print(f"vs plain: paint {paint_ratio:.2f}x, PSS per session {pss_ratio:.2f}x")
    print(f"client imports: {import_ms:.1f} ms (python -X importtime), no textual, no sqlalchemy")
    checks = {
        f"PSS per served session <= {PSS_TARGET_MIB:.0f} MiB (mean of {n})": statistics.mean(
            served.pss
        )
        <= PSS_TARGET_MIB,
        f"first paint of a served session <= {PAINT_TARGET_S} s (median)": statistics.median(
            served.paints
        )
        <= PAINT_TARGET_S,
    }
    if million:
        heading("one session at 1,000,000 work items (queue screen, 40 moves, 20 page downs, End)")
        m = million
        table(
            ["", "PSS peak MiB", "VmHWM MiB"],
            [
                ("plain console", f"{m['plain_pss_peak_mib']:.1f}", f"{m['plain_vmhwm_mib']:.1f}"),
                (
                    "forked session",
                    f"{m['session_pss_peak_mib']:.1f}",
                    f"{m['session_vmhwm_mib']:.1f}",
                ),
            ],
        )
        print(
            "the forked session's VmHWM counts the pages it shares with the server; its PSS peak "
            f"(sampled every 20 ms) is what is compared with {MILLION_TARGET_MIB:.0f} MiB; its "
            f"client adds {m['client_pss_mib']:.1f} MiB"
        )
        print(f"vs plain: PSS peak {m['session_pss_peak_mib'] / m['plain_pss_peak_mib']:.2f}x")
        checks[f"PSS peak of a session at 1,000,000 items <= {MILLION_TARGET_MIB:.0f} MiB"] = (
            million["session_pss_peak_mib"] <= MILLION_TARGET_MIB
        )
    print()
    for check, ok in checks.items():
        print(f"{verdict(ok)}  {check}")
    print(
        json.dumps(
            {
                "sessions": n,
                **summary("plain", plain),
                **summary("served", served),
                "server_start_s": server_start,
                "paint_ratio": paint_ratio,
                "pss_ratio": pss_ratio,
                "client_import_ms": import_ms,
                **{f"million_{k}": v for k, v in million.items()},
                "pass": all(checks.values()),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
