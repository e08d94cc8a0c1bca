"""The exam-wave driver's own CPU per request: httpx (what exam_wave.py used) against aiohttp (what it uses).

The client shares the two cores with the servers it measures, so each millisecond it spends per request is
taken from them. Here a fixed-answer HTTP/1.1 server runs in a child process on the loopback, and this
process sends the same requests through each client the way the driver does (one session per examinee,
one keep-alive connection from its own loopback address, its own cookie jar, the body read whole, no
redirect followed): a page GET and a JSON autosave POST with its X-CSRFToken header, in turn.
``time.process_time()`` counts this process only (the server's CPU is the child's), so the figure is the
client's CPU per request. The clients run in turn, in alternating order, ``--rounds`` times: on a shared
machine read the ratio.

    .venv/bin/pip install httpx          # the old client, measured here only (not a dependency)
    .venv/bin/python bench/client_cost.py --requests 4000 --clients 20
"""
import argparse
import asyncio
import multiprocessing
import statistics
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from exam_wave import address, fetch, open_session  # the driver's own client path
from wave_servers import free_port


def serve(port: int, body_bytes: int) -> None:
    """Answer every request on 127.0.0.1:``port`` with the same small page and session cookie (keep-alive)."""
    body = b"<!doctype html><p>" + b"x" * max(0, body_bytes - 18)
    answer = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: %d\r\n"
              b"Set-Cookie: lms_session=abc.def.ghi; HttpOnly; Path=/; SameSite=Lax\r\n\r\n" % len(body)) + body

    class Fixed(asyncio.Protocol):
        def connection_made(self, transport):
            self.transport, self.buffer = transport, b""

        def data_received(self, data):
            self.buffer += data
            while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
                head = self.buffer[:end].lower()
                length = int(head.split(b"content-length:", 1)[1].split(b"\r\n", 1)[0]) if b"content-length:" in head \
                    else 0
                if len(self.buffer) < end + 4 + length:
                    return
                self.buffer = self.buffer[end + 4 + length:]
                self.transport.write(answer)

    async def main():
        server = await asyncio.get_running_loop().create_server(Fixed, "127.0.0.1", port, backlog=1024)
        await server.serve_forever()

    asyncio.run(main())


def requests(number: int):
    """The driver's steady-phase mix, in turn: an attempt page, an autosave."""
    for i in range(number):
        if i % 2:
            yield "POST", "/attempts/1/autosave", {"json": {"position": 1, "fields": {"choice": "b"}},
                                                   "headers": {"X-CSRFToken": "token"}}
        else:
            yield "GET", "/attempts/1", {"params": {"page": 1}}


async def with_httpx(base_url: str, clients: int, each: int) -> None:
    """The driver's client before: an httpx.AsyncClient per examinee, as exam_wave.py built it."""
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    sessions = [httpx.AsyncClient(base_url=base_url, timeout=httpx.Timeout(120.0),
                                  transport=httpx.AsyncHTTPTransport(limits=limits, local_address=address(i)))
                for i in range(clients)]

    async def one(client):
        for method, path, kw in requests(each):
            response = await client.request(method, path, **kw)
            assert response.status_code == 200 and response.text

    try:
        await asyncio.gather(*(one(s) for s in sessions))
    finally:
        await asyncio.gather(*(s.aclose() for s in sessions))


async def with_aiohttp(base_url: str, clients: int, each: int) -> None:
    """The driver's client now: exam_wave.open_session and exam_wave.fetch."""
    sessions = [open_session(base_url, i) for i in range(clients)]

    async def one(session):
        for method, path, kw in requests(each):
            reply = await fetch(session, method, path, **kw)
            assert reply.status_code == 200 and reply.text

    try:
        await asyncio.gather(*(one(s) for s in sessions))
    finally:
        await asyncio.gather(*(s.close() for s in sessions))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=4000, help="per client library and round")
    parser.add_argument("--clients", type=int, default=20, help="sessions, each with its own connection")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--body-bytes", type=int, default=4000, help="the fixed answer's body")
    args = parser.parse_args()
    port = free_port()
    server = multiprocessing.get_context("spawn").Process(target=serve, args=(port, args.body_bytes), daemon=True)
    server.start()
    try:
        base_url = f"http://127.0.0.1:{port}"
        for _ in range(100):  # bounded: until the child listens
            try:
                asyncio.run(with_aiohttp(base_url, 1, 1))
                break
            except OSError:
                time.sleep(0.1)
        each = max(1, args.requests // args.clients)
        drivers = {"httpx": with_httpx, "aiohttp": with_aiohttp}
        cost = {name: [] for name in drivers}
        for round_ in range(args.rounds):
            for name in (list(drivers) if round_ % 2 == 0 else list(drivers)[::-1]):
                cpu, wall = time.process_time(), time.perf_counter()
                asyncio.run(drivers[name](base_url, args.clients, each))
                cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
                cost[name].append(1000 * cpu / (each * args.clients))
                print(f"round {round_ + 1} {name:8} {cost[name][-1]:.3f} ms CPU per request "
                      f"({each * args.clients} requests, {wall:.2f} s wall)", file=sys.stderr)
    finally:
        server.terminate()
        server.join(timeout=10)
    httpx_ms, aiohttp_ms = statistics.median(cost["httpx"]), statistics.median(cost["aiohttp"])
    print(f"client CPU per request, median of {args.rounds} rounds ({args.clients} clients, "
          f"{args.body_bytes}-byte answers): httpx {httpx_ms:.3f} ms, aiohttp {aiohttp_ms:.3f} ms, "
          f"aiohttp / httpx = {aiohttp_ms / httpx_ms:.2f}")


if __name__ == "__main__":
    main()
