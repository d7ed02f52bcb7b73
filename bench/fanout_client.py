"""One client process of the live fan-out benchmarks (fanout_common.py):
opens the subscribers it is given, reports READY, WARM (every warm-up event
received) and DONE on stdout, then writes its receipts.

    python fanout_client.py CONFIG.json"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from pathlib import Path
from typing import Any

CONNECT_CONCURRENCY = 25


def read_json(path: str | Path) -> Any:
    return json.loads(Path(path).read_text())


def write_json(path: str | Path, value: Any) -> None:
    Path(path).write_text(json.dumps(value))


class Subscriber(asyncio.Protocol):
    """One graphql-transport-ws subscriber as an asyncio protocol over
    websockets' sans-I/O client: every frame that arrives in one read is
    handled in that callback, with no task switch per message. A client
    process then costs a fraction of what the task-per-socket client did,
    which leaves more of the shared cores to the servers being measured."""

    def __init__(self, spec: dict[str, Any], variables: dict[str, Any], sink: dict[str, Any]) -> None:
        from websockets.client import ClientProtocol
        from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory
        from websockets.uri import parse_uri

        self.spec = spec
        self.variables = variables
        self.receipts: list[list[Any]] = sink["receipts"]
        self.failures: list[str] = sink["failures"]
        self.progress: asyncio.Event = sink["progress"]
        # "deflate": offer per-message deflate as a browser does
        # ("permessage-deflate; client_max_window_bits").
        extensions = (
            [ClientPerMessageDeflateFactory(client_max_window_bits=True)] if spec.get("deflate") else None
        )
        self.ws = ClientProtocol(
            parse_uri(spec["ws_url"]),
            subprotocols=["graphql-transport-ws"],
            max_size=2**22,
            extensions=extensions,
        )
        self.subscribed = asyncio.get_running_loop().create_future()
        self.transport: Any = None
        self.upgraded = False

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        self.ws.send_request(self.ws.connect())
        self.flush()

    def flush(self) -> None:
        for chunk in self.ws.data_to_send():
            if chunk:
                self.transport.write(chunk)

    def send(self, message: dict[str, Any]) -> None:
        self.ws.send_text(json.dumps(message).encode())
        self.flush()

    def data_received(self, data: bytes) -> None:
        from websockets.frames import Opcode
        from websockets.http11 import Response

        received = time.time()
        self.ws.receive_data(data)
        for event in self.ws.events_received():
            if isinstance(event, Response):
                if event.status_code != 101:
                    self.fail(f"handshake refused: {event.status_code}")
                    return
                self.send(
                    {"type": "connection_init", "payload": {"authorization": f"Bearer {self.spec['token']}"}}
                )
                continue
            if event.opcode == Opcode.CLOSE:
                self.fail(f"closed by the server: {event.data[:2].hex()} {event.data[2:].decode()}")
                return
            if event.opcode != Opcode.TEXT:
                continue
            message = json.loads(event.data)
            kind = message["type"]
            if kind == "next":
                payload = message["payload"]
                if payload.get("errors"):
                    self.failures.append(f"subscriber {self.spec['user']}: {payload['errors']}")
                    continue
                event = payload["data"][self.spec["field"]]
                self.receipts.append([event["sequence"], received, event["at"]])
                self.progress.set()
            elif kind == "ping":
                self.send({"type": "pong"})
            elif kind == "connection_ack":
                query = {"query": self.spec["document"], "variables": self.variables}
                self.send({"id": "1", "type": "subscribe", "payload": query})
                self.subscribed.set_result(None)
            elif kind in ("error", "complete"):
                self.fail(f"{kind}: {message}")
        self.flush()

    def fail(self, why: str) -> None:
        self.failures.append(f"subscriber {self.spec['user']}: {why}")
        self.progress.set()
        if not self.subscribed.done():
            self.subscribed.set_exception(RuntimeError(why))
        self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.subscribed.done():
            self.subscribed.set_exception(RuntimeError(f"connection lost: {exc}"))

    def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.ws.send_close(1000)
            self.flush()
            self.transport.close()


async def client_main(config_path: str) -> None:
    """One client process: open the subscribers it was given, report READY,
    WARM (every warm-up event received) and DONE, then write its receipts."""
    from urllib.parse import urlparse

    config = read_json(config_path)
    subscribers = config["subscribers"]
    warm_until = config["warm_until"]
    receipts: list[list[list[Any]]] = [[] for _ in subscribers]
    failures: list[str] = []
    expected = [set(s["expected"]) for s in subscribers]
    warm_expected = [{q for q in s["expected"] if q <= warm_until} for s in subscribers]
    progress = asyncio.Event()
    protocols: list[Subscriber] = []
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
    loop = asyncio.get_running_loop()
    variables = config["variables"]

    async def open_one(index: int) -> None:
        spec = subscribers[index]
        url = urlparse(spec["ws_url"])
        sink = {"receipts": receipts[index], "failures": failures, "progress": progress}
        async with gate:
            _, protocol = await loop.create_connection(
                lambda: Subscriber(spec, variables, sink), url.hostname, url.port
            )
            protocols.append(protocol)
            await asyncio.wait_for(protocol.subscribed, 60)

    await asyncio.gather(*(open_one(i) for i in range(len(subscribers))))
    print("READY", flush=True)

    def all_have(targets: list[set[int]]) -> bool:
        return all(
            len(r) >= len(t) and t <= {x[0] for x in r} for r, t in zip(receipts, targets, strict=True)
        )

    async def until(targets: list[set[int]], deadline: float) -> bool:
        while time.monotonic() < deadline:
            if all_have(targets):
                return True
            progress.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(progress.wait(), 0.5)
        return all_have(targets)

    await until(warm_expected, time.monotonic() + 90)
    print("WARM", flush=True)
    complete = await until(expected, time.monotonic() + config["timeout"])
    print("DONE" if complete else "TIMEOUT", flush=True)
    # Its own CPU seconds so far: the process may be gone before the driver
    # reads /proc (it exits once its sockets are closed).
    print(f"CPU {time.process_time():.6f}", flush=True)
    write_json(config["out"], {"receipts": receipts, "failures": failures})
    for protocol in protocols:
        protocol.close()
    await asyncio.sleep(0.5)


if __name__ == "__main__":
    asyncio.run(client_main(sys.argv[1]))
