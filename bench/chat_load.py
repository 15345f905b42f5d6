"""Chat load benchmark: N users in pairs, open-loop sends at R messages/s.

    python -m bench.chat_load --users 1000 --rate 2000 --seconds 20
    python -m bench.chat_load --idle-users 5000

Unless ``--url`` is given it starts ``parley serve`` in a subprocess on a temporary
SQLite database, so the load generator and the server are separate processes (sharing
this machine's cores, as the targets in docs/performance.md say). Every user registers,
subscribes to its chat-state stream and, in its turn, sends to its partner. Sends follow
a schedule fixed in advance (open loop), and latency is measured from the *scheduled*
time, so a stalled server cannot hide its backlog (no coordinated omission):

- ack latency: scheduled send -> the ``sent`` reply (after the store's commit);
- delivery latency: scheduled send -> the partner's ``MessageReceived`` event frame.

The server runs without its in-process moderation worker unless ``--moderation`` is
given (moderation can run as a separate process; docs/performance.md has both).
``--idle-users N`` connects N subscribed users, waits for them to settle and reports the
server's resident memory instead. The last line is ``key=value`` pairs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import os
import re
import resource
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import msgspec
from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.uri import parse_uri

from bench.percentiles import percentile

PASSWORD = "bench-password-1"


# Only what the generator needs from each server frame: unknown fields are skipped, so
# decoding a large chat-state frame costs little of the load generator's CPU.
class _Message(msgspec.Struct):
    client_message_id: str | None = None


class _Event(msgspec.Struct):
    kind: str
    message: _Message | None = None


class _User(msgspec.Struct):
    id: int


class _Frame(msgspec.Struct):
    type: str
    id: int | str | None = None
    event: _Event | None = None
    user: _User | None = None
    token: str | None = None
    code: str | None = None


_decode = msgspec.json.Decoder(_Frame).decode
_encode = msgspec.json.Encoder().encode


class Stats:
    def __init__(self) -> None:
        self.scheduled: dict[str, float] = {}  # client_message_id -> scheduled time
        self.ack_ms: list[float] = []
        self.delivery_ms: list[float] = []
        self.errors: dict[str, int] = {}
        self.deltas = 0
        self.expected = 0  # sends scheduled in all
        self.all_answered = asyncio.Event()

    def check_done(self) -> None:
        answered = len(self.ack_ms) + sum(self.errors.values())
        if self.expected and len(self.delivery_ms) >= self.expected <= answered:
            self.all_answered.set()


class BenchUser(asyncio.Protocol):
    """One simulated user on websockets' sans-I/O protocol, driven by asyncio callbacks.

    No reader task, no message queue: a frame is handled in ``data_received`` as it
    arrives, so the load generator spends its CPU on the protocol and not on machinery
    (it decodes ~6 frames per message for 1,000 connections in one process).
    """

    def __init__(self, url: str, stats: Stats) -> None:
        self.stats = stats
        self.user_id = 0
        self.partner = 0
        self._protocol = ClientProtocol(parse_uri(url), max_size=None)
        self._transport: asyncio.Transport | None = None
        self.open: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future[_Frame]] = {}
        self._sends: dict[int, str] = {}  # request id -> client message id

    # --- asyncio.Protocol ---------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]  # uvloop's is no subclass
        self._protocol.send_request(self._protocol.connect())
        self._flush()

    def data_received(self, data: bytes) -> None:
        now = time.perf_counter()
        self._protocol.receive_data(data)
        for event in self._protocol.events_received():
            if isinstance(event, Frame):
                if event.opcode is Opcode.TEXT:
                    self._on_frame(_decode(event.data), now)
            elif not self.open.done():  # the handshake's response
                if self._protocol.handshake_exc is not None:
                    self.open.set_exception(self._protocol.handshake_exc)
                else:
                    self.open.set_result(None)
        self._flush()  # pongs

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.open.done():
            self.open.set_exception(exc or ConnectionError("closed during the handshake"))

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()

    # --- frames -------------------------------------------------------------------
    def _flush(self) -> None:
        chunks = self._protocol.data_to_send()
        if chunks and self._transport is not None and all(chunks):
            self._transport.write(b"".join(chunks))

    def _write(self, frame: dict[str, object]) -> None:
        self._protocol.send_text(_encode(frame))
        self._flush()

    async def request(self, kind: str, **fields: object) -> _Frame:
        request_id = next(self._ids)
        future: asyncio.Future[_Frame] = asyncio.get_running_loop().create_future()
        self._waiting[request_id] = future
        self._write({"type": kind, "id": request_id, **fields})
        frame = await future
        if frame.type == "error":
            raise RuntimeError(f"{kind} failed: {frame.code}")
        return frame

    def send(self, client_message_id: str) -> None:
        request_id = next(self._ids)
        self._sends[request_id] = client_message_id
        self._write(
            {
                "type": "send",
                "id": request_id,
                "client_message_id": client_message_id,
                "to": self.partner,
                "text": f"load message {client_message_id}",
            }
        )

    def _on_frame(self, frame: _Frame, now: float) -> None:
        stats = self.stats
        kind = frame.type
        if kind == "event":
            event = frame.event
            if event is not None and event.kind == "MessageReceived" and event.message:
                scheduled = stats.scheduled.get(event.message.client_message_id or "")
                if scheduled is not None:
                    stats.delivery_ms.append((now - scheduled) * 1000)
                    stats.check_done()
        elif kind == "chat_state_delta":
            stats.deltas += 1
        elif isinstance(frame.id, int):
            sent = self._sends.pop(frame.id, None)
            if sent is not None:
                if kind == "sent":
                    stats.ack_ms.append((now - stats.scheduled[sent]) * 1000)
                else:
                    stats.errors[str(frame.code)] = stats.errors.get(str(frame.code), 0) + 1
                stats.check_done()
                return
            waiting = self._waiting.pop(frame.id, None)
            if waiting is not None and not waiting.done():
                waiting.set_result(frame)


async def join(url: str, name: str, stats: Stats) -> BenchUser:
    uri = parse_uri(url)
    _, user = await asyncio.get_running_loop().create_connection(
        lambda: BenchUser(url, stats), uri.host, uri.port
    )
    await asyncio.wait_for(user.open, 30)
    await user.request("hello", versions=[1])
    session = await user.request("register", username=name, password=PASSWORD)
    assert session.user is not None
    user.user_id = session.user.id
    await user.request("subscribe")
    return user


async def join_all(url: str, count: int, stats: Stats) -> list[BenchUser]:
    run = os.urandom(3).hex()
    gate = asyncio.Semaphore(64)

    async def one(i: int) -> BenchUser:
        async with gate:
            return await join(url, f"b{run}_{i}", stats)

    users = await asyncio.gather(*(one(i) for i in range(count)))
    for a, b in zip(users[::2], users[1::2], strict=True):
        a.partner, b.partner = b.user_id, a.user_id
    return list(users)


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU time of a process so far (NaN when unknown)."""
    if pid is None:
        return float("nan")
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def waiting_for_cpu(pid: int | None) -> float:
    """Seconds the process's threads spent runnable but waiting for a core (schedstat).

    On a shared machine this says how much of a latency is other jobs holding the cores,
    not Parley.
    """
    if pid is None:
        return float("nan")
    wait = 0.0
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError, ValueError):
            wait += int((task / "schedstat").read_text().split()[1]) / 1e9
    return wait


def rss_mb(pid: int | None) -> str:
    if pid is None:
        return "NA"
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return f"{int(line.split()[1]) / 1024:.0f}"
    return "NA"


class ServerProcess:
    """``parley serve`` on a temporary database, in its own process."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.dir = tempfile.TemporaryDirectory(prefix="parley-bench-")
        self.proc: asyncio.subprocess.Process | None = None
        self.url = ""
        self.log_file = Path(self.dir.name) / "server.log"

    async def __aenter__(self) -> ServerProcess:
        env = {
            **os.environ,
            "PARLEY_CONFIG_FILE": str(Path(self.dir.name) / "none.toml"),
            # the load is the point: no flood limits, cheap password hashing for sign-up
            "PARLEY_MESSAGES_PER_MINUTE": "10000000",
            "PARLEY_SEND_BURST": "100000",
            "PARLEY_FRAMES_PER_SECOND": "100000",
            "PARLEY_FRAME_BURST": "100000",
            "PARLEY_ARGON2_TIME_COST": "1",
            "PARLEY_ARGON2_MEMORY_KIB": "8",
            "PARLEY_USE_UVLOOP": "true" if self.args.uvloop else "false",
            "PARLEY_COALESCE_MS": str(self.args.coalesce_ms),
            "PARLEY_MODERATION_ENABLED": "true" if self.args.moderation else "false",
        }
        log = self.log_file.open("wb")
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            "from parley.client.cli import main; main()",
            "serve",
            "--port",
            "0",
            "--database",
            f"sqlite:///{Path(self.dir.name) / 'bench.db'}{self.args.database_options}",
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=log,
            preexec_fn=_pin_to(self.args.server_cpus),
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            found = re.search(
                r"serving on (ws://\S+)", (Path(self.dir.name) / "server.log").read_text()
            )
            if found:
                self.url = found.group(1)
                return self
            if self.proc.returncode is not None:
                break
            await asyncio.sleep(0.05)
        raise RuntimeError(
            "the server did not start:\n" + (Path(self.dir.name) / "server.log").read_text()
        )

    async def __aexit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.proc.wait(), 30)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        self.dir.cleanup()


async def load(args: argparse.Namespace, url: str, pid: int | None) -> str:
    stats = Stats()
    t0 = time.perf_counter()
    users = await join_all(url, args.users, stats)
    print(f"joined {len(users)} users in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    await asyncio.sleep(0.5)  # let subscribe snapshots settle before measuring
    total = stats.expected = int(args.rate * args.seconds)
    interval = 1.0 / args.rate
    start = time.perf_counter() + 0.1
    server_cpu, own_cpu = cpu_seconds(pid), time.process_time()
    server_wait = waiting_for_cpu(pid)
    sent = 0
    senders = itertools.cycle(users)
    while sent < total:
        now = time.perf_counter()
        due = min(total, int((now - start) / interval) + 1)
        while sent < due:
            client_message_id = str(sent)
            stats.scheduled[client_message_id] = start + sent * interval
            next(senders).send(client_message_id)
            sent += 1
        next_due = start + sent * interval
        await asyncio.sleep(max(0.0, next_due - time.perf_counter()))
    elapsed = time.perf_counter() - start
    server_cpu = (cpu_seconds(pid) - server_cpu) / elapsed * 100
    server_wait = (waiting_for_cpu(pid) - server_wait) / elapsed * 100
    own_cpu = (time.process_time() - own_cpu) / elapsed * 100
    with contextlib.suppress(TimeoutError):  # stragglers get 10 s, then count as lost
        await asyncio.wait_for(stats.all_answered.wait(), 10)
    memory = rss_mb(pid)
    for user in users:
        user.close()
    print(
        f"ack_p50_ms={percentile(stats.ack_ms, 0.5):.1f}"
        f" ack_p99_ms={percentile(stats.ack_ms, 0.99):.1f}"
        f" delivery_max_ms={max(stats.delivery_ms, default=float('nan')):.1f}"
        f" deltas={stats.deltas} errors={stats.errors or 0}"
        f" server_cpu_pct={server_cpu:.0f} server_waiting_for_cpu_pct={server_wait:.0f}"
        f" generator_cpu_pct={own_cpu:.0f}"
        f" loadavg={os.getloadavg()[0]:.1f}",
    )
    return (
        f"users={args.users} rate={args.rate:g} achieved={total / elapsed:.0f}"
        f" delivered={len(stats.delivery_ms)}/{total}"
        f" p50_ms={percentile(stats.delivery_ms, 0.5):.1f}"
        f" p99_ms={percentile(stats.delivery_ms, 0.99):.1f} rss_mb={memory}"
    )


async def idle(args: argparse.Namespace, url: str, pid: int | None) -> str:
    stats = Stats()
    t0 = time.perf_counter()
    users = await join_all(url, args.idle_users, stats)
    joined = time.perf_counter() - t0
    await asyncio.sleep(2.0)  # idle: let buffers and the allocator settle
    memory = rss_mb(pid)
    for user in users:
        user.close()
    return f"idle_users={len(users)} join_s={joined:.1f} rss_mb={memory}"


async def main_async(args: argparse.Namespace) -> str:
    run = idle if args.idle_users else load
    if args.url:
        return await run(args, args.url, None)
    async with ServerProcess(args) as server:
        assert server.proc is not None
        return await run(args, server.url, server.proc.pid)


def _cpus(text: str) -> set[int] | None:
    return {int(cpu) for cpu in text.split(",")} if text else None


def _pin_to(cpus: set[int] | None) -> Callable[[], None] | None:
    """Pin a process to some cores: on 2 cores, server and generator each get their own
    instead of the scheduler moving both across both (which shows up as tail latency)."""
    if cpus is None:
        return None
    return lambda: os.sched_setaffinity(0, cpus)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=1000, help="connected users, in pairs")
    parser.add_argument("--rate", type=float, default=500.0, help="messages per second, total")
    parser.add_argument("--seconds", type=float, default=10.0, help="how long to send")
    parser.add_argument("--url", help="an already running server (no subprocess, no rss)")
    parser.add_argument("--idle-users", type=int, default=0, help="only connect N idle users")
    parser.add_argument("--coalesce-ms", type=float, default=5.0, help="server's burst window")
    parser.add_argument("--uvloop", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument(
        "--moderation",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="run the moderation worker inside the server (off: it can run on its own)",
    )
    parser.add_argument(
        "--database-options",
        default="",
        help="appended to the SQLite URL, e.g. ?synchronous=normal",
    )
    parser.add_argument(
        "--server-cpus", type=_cpus, default=None, help="pin the server, e.g. 0 (default: no)"
    )
    parser.add_argument(
        "--generator-cpus", type=_cpus, default=None, help="pin this generator, e.g. 1"
    )
    args = parser.parse_args()
    if args.generator_cpus:
        os.sched_setaffinity(0, args.generator_cpus)
    if args.users % 2 or args.users < 2:
        parser.error("--users must be an even number >= 2")
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    loop_factory = None
    if args.uvloop:
        with contextlib.suppress(ImportError):
            import uvloop

            loop_factory = uvloop.new_event_loop
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        print(runner.run(main_async(args)))


if __name__ == "__main__":
    main()
