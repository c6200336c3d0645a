"""Socket.IO clients for the fan-out scenarios, spread over worker processes.

Each worker process runs one asyncio loop of `python-socketio` clients that connect,
subscribe, and record every matching event they receive (who, which message, when);
the parent collects the receipts step by step. Behind nginx a client's connections come
from its own loopback address (`spec["address"]`), so ip_hash places it.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import re
import time
from collections import Counter

from bench.harness import CLK_TCK


def _client_worker(conn, specs: list[dict], pattern: str, event: str) -> None:
    """Process entry: connect `specs` as Socket.IO clients and record what they receive."""
    from bench.harness import die_with_parent

    die_with_parent()
    asyncio.run(_client_main(conn, specs, pattern, event))


async def _client_main(conn, specs: list[dict], pattern: str, event: str) -> None:
    import socketio

    regex = re.compile(pattern)
    receipts: list[tuple[int, int, float]] = []
    clients = []
    http_sessions = []  # the address-bound sessions, which the Socket.IO client leaves open
    failures: dict[str, int] = Counter()
    subscribed: dict[int, list[int]] = {}
    disconnects = [0]
    semaphore = asyncio.Semaphore(40)

    async def start(spec: dict) -> None:
        bound = {}
        if spec.get("address"):
            # Behind nginx each client comes from its own loopback network, so ip_hash
            # spreads the sockets as it would real people's.
            import aiohttp

            bound["http_session"] = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(local_addr=(spec["address"], 0))
            )
            http_sessions.append(bound["http_session"])
        sio = socketio.AsyncClient(reconnection=False, request_timeout=30, **bound)
        index = spec["index"]

        def on_message(data: dict) -> None:
            received = time.monotonic()
            if not isinstance(data, dict):
                return
            if event == "stage":  # stage events are matched by their version
                receipts.append((index, int(data.get("version", -1)), received))
                return
            match = regex.search(data.get("html", ""))
            if match:
                # The line's seq too: two copies with one seq are one line pushed twice.
                seq = data.get("seq")
                receipts.append((index, int(match.group(1)), received, seq))

        def on_disconnect(*_args) -> None:
            disconnects[0] += 1

        sio.on(event, on_message)
        sio.on("disconnect", on_disconnect)
        async with semaphore:
            try:
                await sio.connect(
                    spec["url"],
                    headers={"Cookie": spec["cookie"]} if spec["cookie"] else {},
                    transports=["websocket"],
                    wait_timeout=30,
                )
            except Exception:
                failures["connect"] += 1
                return
            ok_channels = []
            for subscription in spec["subscribe"]:
                try:
                    ack = await sio.call("subscribe", subscription, timeout=30)
                except Exception:
                    ack = None
                if isinstance(ack, dict) and ack.get("ok"):
                    if "channel_id" in subscription:
                        ok_channels.append(subscription["channel_id"])
                    elif "room_id" in subscription and event == "stage":
                        ok_channels.append(subscription["room_id"])
                else:
                    failures["subscribe"] += 1
            subscribed[index] = ok_channels
            clients.append(sio)

    await asyncio.gather(*(start(spec) for spec in specs))
    conn.send(("ready", {"failures": dict(failures), "subscribed": subscribed}))
    loop = asyncio.get_running_loop()
    while True:
        command = await loop.run_in_executor(None, conn.recv)
        batch, receipts[:] = list(receipts), []
        if command == "collect":
            conn.send(("receipts", {"receipts": batch, "disconnects": disconnects[0]}))
            continue
        await asyncio.gather(*(c.disconnect() for c in clients), return_exceptions=True)
        await asyncio.gather(*(h.close() for h in http_sessions), return_exceptions=True)
        conn.send(("receipts", {"receipts": batch, "disconnects": disconnects[0]}))
        return


class ClientPool:
    """Socket.IO clients spread over `procs` worker processes (one asyncio loop each)."""

    def __init__(
        self, specs: list[dict], pattern: str, procs: int, event: str = "chat:message"
    ) -> None:
        context = multiprocessing.get_context("spawn")
        self.workers = []
        for n in range(procs):
            mine = specs[n::procs]
            if not mine:
                continue
            parent, child = context.Pipe()
            process = context.Process(target=_client_worker, args=(child, mine, pattern, event))
            process.start()
            self.workers.append((process, parent))
        self.failures: Counter = Counter()
        self.subscribed: dict[int, list[int]] = {}

    def wait_ready(self, timeout: float = 300) -> None:
        """Wait until every worker has connected and subscribed its clients."""
        for _process, pipe in self.workers:
            try:
                if not pipe.poll(timeout):
                    raise RuntimeError("socket clients did not connect in time")
                _kind, info = pipe.recv()
            except (EOFError, OSError) as error:
                raise RuntimeError("a socket client process died while connecting") from error
            self.failures.update(info["failures"])
            self.subscribed.update(info["subscribed"])

    def collect(self, final: bool = False) -> tuple[list, int]:
        """Return (receipts since the last collect, disconnects so far)."""
        receipts, disconnects = [], 0
        alive = []
        for process, pipe in self.workers:
            try:
                pipe.send("stop" if final else "collect")
                alive.append(pipe)
            except OSError:
                print(f"warning: socket client process {process.pid} is gone", flush=True)
        for pipe in alive:
            try:
                if pipe.poll(120):
                    _kind, info = pipe.recv()
                    receipts.extend(info["receipts"])
                    disconnects += info["disconnects"]
            except (EOFError, OSError):
                print("warning: a socket client process died before reporting", flush=True)
        return receipts, disconnects

    def cpu_seconds(self) -> float:
        """CPU time used by the worker processes so far."""
        total = 0.0
        for process, _pipe in self.workers:
            try:
                with open(f"/proc/{process.pid}/stat") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / CLK_TCK
            except OSError:
                pass
        return total

    def close(self) -> None:
        """Stop the workers."""
        for process, _pipe in self.workers:
            process.join(timeout=20)
            if process.is_alive():
                process.terminate()
