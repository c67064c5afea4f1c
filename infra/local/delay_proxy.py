#!/usr/bin/env python3
"""A TCP proxy that adds a fixed one-way delay in each direction, for latency benchmarks.

Python 3.11 standard library only (asyncio). Each --listen address (loopback only) forwards to
the --target given in the same position. Every chunk read from one side is written to the other
side `--delay-ms` after it was read, in order, without waiting for the chunks before it to have
been delayed in turn: a pipe with latency, not a rate limiter. A request/response round trip
therefore costs 2 x delay more, and pipelined messages (Bolt pipelining, HTTP keep-alive) pay
one delay, not one each. EOF (a half-close) travels the same way, after the data before it.

Each direction holds at most --buffer-bytes (default 4 MiB) that the receiver has not taken;
beyond that the proxy stops reading from the sender, so memory stays bounded whatever the
transfer size (the throughput ceiling is then buffer / delay: 400 MB/s at 10 ms).

Not modelled: the TCP handshake (a client's connect() completes locally at once, so a new
connection costs one round trip less than on a real network; the target is connected at once
too), TLS, bandwidth limits, jitter and loss.

Usage:
  delay_proxy.py --listen 127.0.0.1:PORT --target HOST:PORT [--listen ... --target ...]
                 --delay-ms N [--buffer-bytes B] [--verbose]
  delay_proxy.py --self-test    the overhead over the configured delay, against an echo server

PORT 0 picks a free port. Once every listener is bound it prints one line per listener on
stdout: "delay proxy listening on 127.0.0.1:<port> -> HOST:PORT (delay N ms)". --verbose logs a
line per connection opened and closed on stderr. SIGTERM or SIGINT: the listeners close, open
connections are cut, exit status 0.
"""

import argparse
import asyncio
import collections
import ipaddress
import os
import signal
import socket
import subprocess
import sys
import threading
import time

CHUNK = 64 * 1024


def log(message):
    print(f"delay proxy: {message}", file=sys.stderr, flush=True)


class Pipe:
    """One direction of a connection: what `reader` yields is written to `writer` `delay`
    seconds after it was read. An empty chunk in the queue stands for EOF."""

    def __init__(self, reader, writer, delay, limit):
        self.reader, self.writer, self.delay, self.limit = reader, writer, delay, limit
        self.chunks = collections.deque()  # (deadline, bytes)
        self.buffered = 0  # bytes read and not yet taken by the receiver
        self.queued = asyncio.Event()  # chunks is not empty
        self.room = asyncio.Event()  # buffered < limit
        self.room.set()
        self.total = 0

    async def receive(self):
        loop = asyncio.get_running_loop()
        while True:
            data = await self.reader.read(CHUNK)
            self.chunks.append((loop.time() + self.delay, data))
            self.queued.set()
            if not data:
                return
            self.buffered += len(data)
            if self.buffered >= self.limit:  # backpressure: stop reading until there is room
                self.room.clear()
                await self.room.wait()

    async def deliver(self):
        loop = asyncio.get_running_loop()
        while True:
            if not self.chunks:
                self.queued.clear()
                await self.queued.wait()
            deadline, data = self.chunks.popleft()
            wait = deadline - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            if not data:
                if self.writer.can_write_eof():
                    self.writer.write_eof()
                return
            self.writer.write(data)
            await self.writer.drain()  # the receiver's own backpressure
            self.buffered -= len(data)
            self.total += len(data)
            if self.buffered < self.limit:
                self.room.set()


class Proxy:
    def __init__(self, delay, limit, verbose):
        self.delay, self.limit, self.verbose = delay, limit, verbose
        self.connections = set()  # the tasks serving open connections
        self.count = 0

    def handler(self, target):
        async def handle(client_reader, client_writer):
            task = asyncio.current_task()
            self.connections.add(task)
            try:
                await self.serve(client_reader, client_writer, target)
            except asyncio.CancelledError:
                pass  # the proxy is stopping; serve() has cut the connection
            finally:
                self.connections.discard(task)
        return handle

    async def serve(self, client_reader, client_writer, target):
        self.count += 1
        number, started = self.count, time.monotonic()
        peer = "%s:%s" % (client_writer.get_extra_info("peername") or ("?", "?"))[:2]
        try:
            target_reader, target_writer = await asyncio.open_connection(*target, limit=CHUNK)
        except OSError as e:
            log(f"#{number} {peer}: cannot connect to {target[0]}:{target[1]}: {e}")
            client_writer.transport.abort()
            return
        if self.verbose:
            log(f"#{number} opened {peer} -> {target[0]}:{target[1]}")
        up = Pipe(client_reader, target_writer, self.delay, self.limit)
        down = Pipe(target_reader, client_writer, self.delay, self.limit)
        tasks = [asyncio.create_task(c) for c in (up.receive(), up.deliver(), down.receive(), down.deliver())]
        outcome = "closed"
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
            errors = [t.exception() for t in done if t.exception()]
            if errors:
                outcome = f"cut ({type(errors[0]).__name__}: {errors[0]})"
        except asyncio.CancelledError:
            outcome = "cut (proxy stopping)"
            raise
        finally:
            for t in tasks:
                t.cancel()
            for w in (client_writer, target_writer):
                if outcome == "closed":
                    w.close()
                else:
                    w.transport.abort()
            if self.verbose:
                log(f"#{number} {outcome} after {time.monotonic() - started:.3f} s: "
                    f"{up.total} bytes up, {down.total} bytes down")


def address(text, listen):
    """(host, port) from "HOST:PORT" (or "PORT" for a listener); listeners must be loopback."""
    host, sep, port = text.rpartition(":")
    if not sep:
        host = "127.0.0.1" if listen else ""
    host = host.strip("[]")
    if not host or not port.isdigit() or int(port) > 65535:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {text!r}")
    if listen:
        host = "127.0.0.1" if host == "localhost" else host
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            raise argparse.ArgumentTypeError(f"listen on a loopback address only, not {host!r}")
    return host, int(port)


async def run(args):
    proxy = Proxy(args.delay_ms / 1000, args.buffer_bytes, args.verbose)
    servers = []
    for listen, target in zip(args.listen, args.target):
        server = await asyncio.start_server(proxy.handler(target), *listen, backlog=1024, limit=CHUNK)
        servers.append(server)
        host, port = server.sockets[0].getsockname()[:2]
        print(f"delay proxy listening on {host}:{port} -> {target[0]}:{target[1]} "
              f"(delay {args.delay_ms:g} ms)", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    for server in servers:
        server.close()
    for task in list(proxy.connections):
        task.cancel()
    await asyncio.gather(*proxy.connections, return_exceptions=True)
    if args.verbose:
        log(f"stopped after {proxy.count} connections")


# --- --self-test: the proxy's own overhead, measured against an echo server -----------------

ECHO_SERVER = r"""
import socket, threading
server = socket.create_server(("127.0.0.1", 0), backlog=1024)
print(server.getsockname()[1], flush=True)
def serve(c):
    with c:
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        while data := c.recv(65536):
            c.sendall(data)
        c.shutdown(socket.SHUT_WR)  # echo a half-close
while True:
    threading.Thread(target=serve, args=(server.accept()[0],), daemon=True).start()
"""


def spawn(argv):
    """A child process and the first line it prints."""
    child = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
    return child, child.stdout.readline().strip()


def connect(port):
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def recv_exactly(s, n):
    got = 0
    while got < n:
        data = s.recv(min(CHUNK, n - got))
        if not data:
            raise EOFError(f"EOF after {got} of {n} bytes")
        got += len(data)


def round_trips(port, count=100, size=100):
    """Seconds of each of `count` request/response pairs over one connection."""
    times = []
    with connect(port) as s:
        payload = b"x" * size
        for _ in range(count):
            t = time.perf_counter()
            s.sendall(payload)
            recv_exactly(s, size)
            times.append(time.perf_counter() - t)
    return times


def pipelined(port, bursts=20, depth=10, size=100):
    """Seconds from the first of `depth` back-to-back requests (one send each) to the last answer."""
    times = []
    with connect(port) as s:
        for _ in range(bursts):
            t = time.perf_counter()
            for _ in range(depth):
                s.sendall(b"p" * size)
            recv_exactly(s, depth * size)
            times.append(time.perf_counter() - t)
    return times


def concurrent(port, connections=200, exchanges=5):
    """Seconds of each request/response pair when `connections` connections, all open and
    through to the echo server, each do `exchanges` of them at the same time."""
    times = []

    async def main():
        ready, go = asyncio.Semaphore(0), asyncio.Event()

        async def one():
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"c")  # through to the echo server once this comes back
            await reader.readexactly(1)
            ready.release()
            await go.wait()
            for _ in range(exchanges):
                t = time.perf_counter()
                writer.write(b"c" * 100)
                await reader.readexactly(100)
                times.append(time.perf_counter() - t)
            writer.close()

        clients = [asyncio.create_task(one()) for _ in range(connections)]
        for _ in range(connections):
            await ready.acquire()
        go.set()
        await asyncio.gather(*clients)
    asyncio.run(main())
    return times


def bulk(port, megabytes=64):
    """(seconds, ok) to send `megabytes` MiB and read them back, with a half-close at the end."""
    total = megabytes << 20
    with connect(port) as s:
        def send():
            block = b"b" * CHUNK
            for _ in range(total // CHUNK):
                s.sendall(block)
            s.shutdown(socket.SHUT_WR)
        t = time.perf_counter()
        sender = threading.Thread(target=send)
        sender.start()
        got = 0
        while data := s.recv(1 << 20):
            got += len(data)
        sender.join()
        return time.perf_counter() - t, got == total


def half_close(port):
    """A request ended by a half-close gets its whole answer and then EOF."""
    with connect(port) as s:
        s.sendall(b"hello")
        s.shutdown(socket.SHUT_WR)
        answer = b""
        while data := s.recv(100):
            answer += data
        return answer == b"hello"


def peak_rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def self_test():
    children = []
    try:
        echo, port = spawn([sys.executable, "-c", ECHO_SERVER])
        children.append(echo)
        paths = {"direct": int(port)}  # name -> port
        for delay in (0, 10):
            proxy, line = spawn([sys.executable, __file__, "--listen", "127.0.0.1:0",
                                 "--target", f"127.0.0.1:{port}", "--delay-ms", str(delay)])
            children.append(proxy)
            paths[f"delay {delay} ms"] = int(line.split()[4].rsplit(":", 1)[1])
        print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
        print("round trips, 100 x 100 bytes over one connection (ms):")
        for name in ("direct", "delay 0 ms", "delay 10 ms"):
            t = [x * 1000 for x in round_trips(paths[name])]
            print(f"  {name:12} p50 {percentile(t, 50):7.3f}  p95 {percentile(t, 95):7.3f}  max {max(t):7.3f}")
        print("pipelined, 10 requests sent back to back, until the 10th answer, 20 bursts (ms):")
        for name in ("direct", "delay 10 ms"):
            t = [x * 1000 for x in pipelined(paths[name])]
            print(f"  {name:12} p50 {percentile(t, 50):7.3f}  p95 {percentile(t, 95):7.3f}")
        print("200 open connections doing 5 round trips each at the same time (ms):")
        for name in ("direct", "delay 10 ms"):
            t = [x * 1000 for x in concurrent(paths[name])]
            print(f"  {name:12} p50 {percentile(t, 50):7.3f}  p95 {percentile(t, 95):7.3f}  max {max(t):7.3f}")
        print("64 MiB echoed (sent and received at once), then a half-close:")
        for name in ("direct", "delay 10 ms"):
            seconds, ok = bulk(paths[name])
            print(f"  {name:12} {seconds:6.2f} s  ({64 / seconds:6.1f} MiB/s each way)  complete: {ok}")
        print(f"  proxy peak RSS after it (delay 10 ms): {peak_rss_mib(children[-1].pid):.1f} MiB")
        print(f"half-close echoed through the proxy: {half_close(paths['delay 10 ms'])}")
    finally:
        for child in children:
            child.terminate()
        for child in children:
            child.wait(timeout=10)


def main():
    parser = argparse.ArgumentParser(description="TCP proxy with a fixed one-way delay each way (loopback only)")
    parser.add_argument("--listen", action="append", default=[], type=lambda t: address(t, True),
                        help="127.0.0.1:PORT to listen on (0: a free port); repeat with --target")
    parser.add_argument("--target", action="append", default=[], type=lambda t: address(t, False),
                        help="HOST:PORT to forward the matching --listen to")
    parser.add_argument("--delay-ms", type=float, default=0.0, help="one-way delay in each direction")
    parser.add_argument("--buffer-bytes", type=int, default=4 << 20,
                        help="most bytes held per direction of a connection (default 4 MiB)")
    parser.add_argument("--verbose", action="store_true", help="log each connection opened and closed")
    parser.add_argument("--self-test", action="store_true", help="measure the overhead and exit")
    args = parser.parse_args()
    if args.self_test:
        return self_test()
    if not args.listen or len(args.listen) != len(args.target):
        parser.error("give one --target per --listen (at least one pair)")
    if args.delay_ms < 0 or args.buffer_bytes < CHUNK:
        parser.error(f"--delay-ms must be >= 0 and --buffer-bytes >= {CHUNK}")
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
