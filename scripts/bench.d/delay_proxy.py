#!/usr/bin/python3
"""A user-space TCP delay for SSH (this kernel has no netem): used as ssh's
ProxyCommand, it connects to HOST:PORT and relays stdin -> socket and
socket -> stdout, holding every chunk DELAY/2 in each direction, so every
round trip takes DELAY longer. Order is kept; throughput is not limited.

    ProxyCommand /path/delay_proxy.py %h %p

Environment: BENCH_DELAY_MS (default 50, the added round-trip time) and
BENCH_PROXY_LOG (a file; one line per connection on exit: host, round trips,
bytes each way). A round trip is counted each time the traffic turns from
client -> server to server -> client, which is what a latency costs.

Only the lab's addresses (10.77.0.x) are allowed: anything else is refused.
"""
import asyncio
import os
import signal
import socket
import sys
import time

host, port = sys.argv[1], int(sys.argv[2])
half = float(os.environ.get("BENCH_DELAY_MS", "50")) / 2000.0
log = os.environ.get("BENCH_PROXY_LOG")

addr = socket.gethostbyname(host)
if not addr.startswith("10.77.0."):
    sys.stderr.write(f"delay_proxy: {host} ({addr}) is not a lab address, refused\n")
    sys.exit(1)

stats = {"turns": 0, "up": 0, "down": 0, "last": None}


def write_log():
    if log and stats is not None:
        with open(log, "a") as f:
            f.write(f"{host} {stats['turns']} {stats['up']} {stats['down']}\n")


def bye(signum, frame):
    # ssh ends its ProxyCommand with SIGHUP when the session is over.
    write_log()
    os._exit(0)


signal.signal(signal.SIGHUP, bye)
signal.signal(signal.SIGTERM, bye)


async def pump(read, write, direction):
    """Reads chunks and delivers each one `half` later, in order."""
    queue = asyncio.Queue()

    async def deliver():
        while True:
            due, data = await queue.get()
            if data is None:
                await write(None)
                return
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            await write(data)

    task = asyncio.ensure_future(deliver())
    while True:
        data = await read()
        if not data:
            queue.put_nowait((0, None))
            break
        stats[direction] += len(data)
        if direction == "down" and stats["last"] == "up":
            stats["turns"] += 1
        stats["last"] = direction
        queue.put_nowait((time.monotonic() + half, data))
    await task


async def main():
    loop = asyncio.get_running_loop()
    reader, writer = await asyncio.open_connection(addr, port)
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    stdin = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stdin), os.fdopen(0, "rb", 0))
    out_fd = 1

    async def read_stdin():
        return await stdin.read(65536)

    async def write_sock(data):
        if data is None:
            try:
                writer.write_eof()
            except OSError:
                pass
            return
        writer.write(data)
        await writer.drain()

    async def read_sock():
        return await reader.read(65536)

    async def write_stdout(data):
        if data is None:
            return
        view = memoryview(data)
        while view:
            try:
                n = os.write(out_fd, view)
            except BlockingIOError:
                await asyncio.sleep(0.001)
                continue
            view = view[n:]

    up = asyncio.ensure_future(pump(read_stdin, write_sock, "up"))
    down = asyncio.ensure_future(pump(read_sock, write_stdout, "down"))
    # The session ends when the server closes its side.
    await down
    up.cancel()


try:
    asyncio.run(main())
except (BrokenPipeError, ConnectionResetError, KeyboardInterrupt):
    pass
finally:
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    write_log()
