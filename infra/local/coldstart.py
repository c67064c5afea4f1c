#!/usr/bin/env python3
"""Cold start of the `bootstrap` binary against a local Lambda runtime API.

Serves the runtime API's `GET /2018-06-01/runtime/invocation/next` on 127.0.0.1 and measures,
for several fresh processes, the time from spawning `bootstrap` to its first poll of that
endpoint (init: config, clients, runtime). Nothing but loopback is contacted: the graph
connection opens lazily and S3 / Secrets Manager are not called at init.

Usage: python3 infra/local/coldstart.py target/release/bootstrap [runs]
"""
import http.server
import os
import statistics
import subprocess
import sys
import threading
import time

first_poll = threading.Event()


class Runtime(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server API)
        if self.path.endswith("/runtime/invocation/next"):
            first_poll.set()
            # Hold the long poll open until the process is killed.
            time.sleep(5)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def main():
    binary = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Runtime)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = dict(
        os.environ,
        AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{server.server_address[1]}",
        AWS_LAMBDA_FUNCTION_NAME="ork-processor",
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE="1024",
        AWS_LAMBDA_FUNCTION_VERSION="$LATEST",
        AWS_REGION="us-east-1",
        AWS_ACCESS_KEY_ID="local",
        AWS_SECRET_ACCESS_KEY="local",
        NEO4J_URI="bolt://127.0.0.1:7687",
        NEO4J_USER="neo4j",
        NEO4J_PASSWORD="not-used-at-init",
        CLOUDINARY_URL="cloudinary://key:not-used-at-init@local",
        RUST_LOG="warn",
    )
    times = []
    for _ in range(runs):
        first_poll.clear()
        start = time.perf_counter()
        proc = subprocess.Popen([binary], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if not first_poll.wait(10):
            proc.kill()
            err = proc.stderr.read().decode(errors="replace")
            sys.exit(f"bootstrap never polled the runtime API:\n{err}")
        times.append((time.perf_counter() - start) * 1000)
        proc.kill()
        proc.wait()
    server.shutdown()
    print(f"init to first poll over {runs} runs: median {statistics.median(times):.1f} ms, "
          f"min {min(times):.1f} ms, max {max(times):.1f} ms")


if __name__ == "__main__":
    main()
