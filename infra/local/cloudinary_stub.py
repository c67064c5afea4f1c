#!/usr/bin/env python3
"""A local stand-in for Cloudinary's Upload API (image upload and destroy), for tests.

Python 3.11 standard library only. Listens on 127.0.0.1 and enforces the real contract:

* POST /v1_1/<cloud>/image/upload   multipart/form-data (or urlencoded) with file, api_key,
  timestamp, signature (+ public_id, overwrite, invalidate, ...). The signature is SHA-1 hex of
  the parameters (minus file, cloud_name, resource_type, api_key and empty values) sorted by
  name, joined k=v with '&', with the API secret appended. The timestamp must be within an
  hour. Answers with Cloudinary's response shape; the image is then served at secure_url.
* POST /v1_1/<cloud>/image/destroy  public_id, api_key, timestamp, signature ->
  {"result": "ok"} or {"result": "not found"}.
* GET  /<cloud>/image/upload/v<version>/<public_id>.<format>  the stored bytes.
* POST /__control  JSON {"fail_next": [429, 500], "fail_always": 500 | null,
  "retry_after": 1 | null, "delay": 0.5 | null, "fail_every": 7 | 0, "fail_status": 429,
  "reset": false}: injected failures (and a delay before each answer, for timeouts) for the
  API endpoints; fail_every and fail_status change --fail-every and --fail-status while running.
* GET  /__uploads  JSON {"uploads": {public_id: {"count", "version", "bytes", "format"}},
  "signatures": {"verified": n, "rejected": n}, "failures_injected": n, "requests": n}.

Errors look like Cloudinary's: {"error": {"message": "..."}} with 400 / 401 / 404.

Usage: cloudinary_stub.py [--port N] [--cloud NAME] [--api-key KEY] [--api-secret SECRET]
                          [--delay-ms N] [--fail-every N] [--fail-status S]
Defaults come from CLOUDINARY_STUB_PORT (0: any free port), CLOUDINARY_STUB_CLOUD
("stub-cloud"), CLOUDINARY_STUB_API_KEY ("stub-key"), CLOUDINARY_STUB_API_SECRET
("stub-secret"), CLOUDINARY_STUB_DELAY_MS (0), CLOUDINARY_STUB_FAIL_EVERY (0: never) and
CLOUDINARY_STUB_FAIL_STATUS (429). Prints "cloudinary stub listening on
http://127.0.0.1:<port>" once ready. The secret is never printed.

For latency benchmarks (infra/local/latency.sh): --delay-ms waits that long before answering
each API call (upload and destroy, injected failures included), on top of any /__control delay.
Each connection is served by its own thread, so concurrent calls are each delayed, not queued.
--fail-every N answers every Nth API call (counted since start or the last reset) with
--fail-status (420, 429, 500, 502 or 503) and Cloudinary's error JSON; a 420 or 429 carries
"Retry-After: 1", which the client honours as the wait before its retry (it backs off with
jitter on a 5xx). /__control failures come first.
"""

import argparse
import hashlib
import hmac
import json
import os
import re
import struct
import sys
import threading
import time
import urllib.parse
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_BODY = 20 * 1024 * 1024
UNSIGNED = {"file", "cloud_name", "resource_type", "api_key", "signature"}
API_PATH = re.compile(r"^/v1_1/([^/]+)/image/(upload|destroy)$")
DELIVERY_PATH = re.compile(r"^/([^/]+)/image/upload/(?:v(\d+)/)?(.+)\.([A-Za-z0-9]+)$")
PUBLIC_ID = re.compile(r"^[A-Za-z0-9_.\-]+(/[A-Za-z0-9_.\-]+)*$")
MIME = {"png": "image/png", "svg": "image/svg+xml", "glb": "model/gltf-binary"}


class ApiError(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


def string_to_sign(params):
    pairs = sorted((k, v) for k, v in params.items() if k not in UNSIGNED and v != "")
    return "&".join(f"{k}={v}" for k, v in pairs)


def parse_multipart(content_type, body):
    """Fields (str) and files (bytes) of a multipart/form-data body: ({name: value}, {name: (filename, bytes)})."""
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if not match:
        raise ApiError(400, "Invalid multipart body: no boundary")
    delimiter = b"--" + match.group(1).encode()
    fields, files = {}, {}
    for chunk in body.split(delimiter)[1:]:
        if chunk.startswith(b"--"):
            break  # closing delimiter
        chunk = chunk[2:] if chunk.startswith(b"\r\n") else chunk
        chunk = chunk[:-2] if chunk.endswith(b"\r\n") else chunk
        head, sep, content = chunk.partition(b"\r\n\r\n")
        if not sep:
            raise ApiError(400, "Invalid multipart body: part without headers")
        disposition = ""
        for line in head.decode("utf-8", "replace").split("\r\n"):
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-disposition":
                disposition = value
        name = re.search(r'\bname="([^"]*)"', disposition)
        if not name:
            raise ApiError(400, "Invalid multipart body: part without a name")
        filename = re.search(r'\bfilename="([^"]*)"', disposition)
        if filename:
            files[name.group(1)] = (filename.group(1), content)
        else:
            fields[name.group(1)] = content.decode("utf-8", "replace")
    return fields, files


def sniff(data):
    """(format, width, height) of a PNG, SVG or GLB (binary glTF 2.0) file. Cloudinary takes a
    GLB as an `image` asset (a 3D model); it has no pixel size."""
    if data.startswith(b"glTF"):
        if len(data) < 20:
            raise ApiError(400, "Invalid image file")
        version, length = struct.unpack("<II", data[4:12])
        chunk_length, chunk_type = struct.unpack("<II", data[12:20])
        if version != 2 or length != len(data) or chunk_type != 0x4E4F534A or 20 + chunk_length > length:
            raise ApiError(400, "Invalid image file")
        return "glb", None, None
    if data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return "png", width, height
    head = data[:4096].decode("utf-8", "replace")
    if "<svg" in head:
        tag = head[head.find("<svg"):]
        tag = tag[: tag.find(">") + 1]
        dims = [re.search(rf'\b{a}="([0-9.]+)', tag) for a in ("width", "height")]
        if all(dims):
            return "svg", round(float(dims[0].group(1))), round(float(dims[1].group(1)))
        return "svg", None, None
    raise ApiError(400, "Invalid image file")


class Stub:
    def __init__(self, cloud, api_key, api_secret, delay_ms=0.0, fail_every=0, fail_status=429):
        self.cloud, self.api_key, self.api_secret = cloud, api_key, api_secret
        # Fixed for the stub's life (a reset keeps them): see the module docs.
        self.call_delay, self.fail_every, self.fail_status = delay_ms / 1000, fail_every, fail_status
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        self.objects = {}  # public_id -> dict(bytes, format, version, count, width, height)
        self.fail_next, self.fail_always, self.retry_after, self.delay = [], None, None, None
        self.verified = self.rejected = self.injected = self.requests = 0

    def check_signed(self, params, required):
        for name in required:
            if not params.get(name):
                raise ApiError(400, f"Missing required parameter - {name}")
        if params["api_key"] != self.api_key:
            raise ApiError(401, f"Unknown API key {params['api_key']}")
        try:
            timestamp = int(params["timestamp"])
        except ValueError:
            raise ApiError(400, "Invalid timestamp") from None
        if abs(time.time() - timestamp) > 3600:
            raise ApiError(400, f"Stale request - reported time is {timestamp} which is more than 1 hour ago")
        to_sign = string_to_sign(params)
        expected = hashlib.sha1((to_sign + self.api_secret).encode()).hexdigest()
        if not hmac.compare_digest(expected, params["signature"].lower()):
            self.rejected += 1
            raise ApiError(401, f"Invalid Signature {params['signature']}. String to sign - '{to_sign}'.")
        self.verified += 1

    def upload(self, fields, files, port):
        params = dict(fields)
        params["file"] = "<file>" if "file" in files else fields.get("file", "")
        self.check_signed(params, ["file", "api_key", "timestamp", "signature"])
        if "file" not in files:
            raise ApiError(400, "Remote file URLs are not supported by the stub")
        _, data = files["file"]
        fmt, width, height = sniff(data)
        public_id = fields.get("public_id") or hashlib.sha1(data + str(time.time()).encode()).hexdigest()[:20]
        if not PUBLIC_ID.match(public_id) or ".." in public_id.split("/"):
            raise ApiError(400, f"Invalid public_id {public_id}")
        existing = self.objects.get(public_id)
        if existing and fields.get("overwrite", "true") != "true":
            obj, overwritten = existing, False
        else:
            version = int(time.time())
            if existing:
                version = max(version, existing["version"] + 1)
            obj = {"bytes": data, "format": fmt, "version": version, "width": width, "height": height,
                   "count": (existing["count"] if existing else 0) + 1,
                   "created_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
            self.objects[public_id] = obj
            overwritten = existing is not None
        path = f"{self.cloud}/image/upload/v{obj['version']}/{public_id}.{obj['format']}"
        response = {
            "asset_id": hashlib.md5(public_id.encode()).hexdigest(),
            "public_id": public_id,
            "version": obj["version"],
            "version_id": hashlib.md5(f"{public_id}{obj['version']}".encode()).hexdigest(),
            "signature": hashlib.sha1(f"public_id={public_id}&version={obj['version']}{self.api_secret}".encode()).hexdigest(),
            "format": obj["format"],
            "resource_type": "image",
            "created_at": obj["created_at"],
            "tags": [],
            "bytes": len(obj["bytes"]),
            "type": "upload",
            "etag": hashlib.md5(obj["bytes"]).hexdigest(),
            "placeholder": False,
            "url": f"http://127.0.0.1:{port}/{path}",
            "secure_url": f"http://127.0.0.1:{port}/{path}",
            "overwritten": overwritten,
            "original_filename": files["file"][0].rsplit(".", 1)[0],
        }
        if obj["width"] is not None:
            response["width"], response["height"] = obj["width"], obj["height"]
        if existing and not overwritten:
            response["existing"] = True
        return response

    def destroy(self, fields):
        self.check_signed(dict(fields), ["public_id", "api_key", "timestamp", "signature"])
        found = self.objects.pop(fields["public_id"], None)
        return {"result": "ok" if found else "not found"}

    def injected_failure(self):
        """(status, Retry-After seconds or None) to fail this API request with, or None."""
        if self.fail_next:
            self.injected += 1
            return self.fail_next.pop(0), self.retry_after
        if self.fail_always:
            self.injected += 1
            return self.fail_always, self.retry_after
        if self.fail_every and self.requests % self.fail_every == 0:
            self.injected += 1
            return self.fail_status, 1
        return None


class Server(ThreadingHTTPServer):
    """socketserver's listen backlog of 5 drops connections when a client opens many at once
    (parallel uploads, delayed calls, a concurrent soak): allow 128."""
    request_queue_size = 128


class Handler(BaseHTTPRequestHandler):
    server_version = "cloudinary-stub/1"
    protocol_version = "HTTP/1.1"
    stub = None  # set in main()

    def log_message(self, fmt, *args):
        if os.environ.get("CLOUDINARY_STUB_VERBOSE"):
            sys.stderr.write("cloudinary stub: " + (fmt % args) + "\n")

    def send(self, status, body, content_type="application/json", headers=()):
        if not isinstance(body, bytes):
            body = json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers:
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (e.g. its timeout)

    def read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            body = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return body
                body += self.rfile.read(size)
                self.rfile.readline()
                if len(body) > MAX_BODY:
                    self.close_connection = True
                    raise ApiError(413, "File size too large")
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self.close_connection = True
            raise ApiError(413, "File size too large")
        return self.rfile.read(length)

    def do_GET(self):
        stub = self.stub
        path = urllib.parse.urlparse(self.path).path
        with stub.lock:
            if path == "/__uploads":
                uploads = {pid: {"count": o["count"], "version": o["version"], "bytes": len(o["bytes"]),
                                 "format": o["format"]} for pid, o in stub.objects.items()}
                return self.send(200, {"uploads": uploads,
                                       "signatures": {"verified": stub.verified, "rejected": stub.rejected},
                                       "failures_injected": stub.injected, "requests": stub.requests})
            match = DELIVERY_PATH.match(path)
            obj = stub.objects.get(match.group(3)) if match and match.group(1) == stub.cloud else None
            if not obj or obj["format"] != match.group(4):
                return self.send(404, b"Resource not found", "text/plain", [("X-Cld-Error", "Resource not found")])
            return self.send(200, obj["bytes"], MIME.get(obj["format"], "application/octet-stream"))

    def do_POST(self):
        stub = self.stub
        path = urllib.parse.urlparse(self.path).path
        try:
            body = self.read_body()
            if path == "/__control":
                return self.control(json.loads(body or b"{}"))
            match = API_PATH.match(path)
            if not match:
                raise ApiError(404, "Not found")
            with stub.lock:
                stub.requests += 1
                status, retry_after = stub.injected_failure() or (None, None)
                delay = (stub.delay or 0) + stub.call_delay
            if delay:
                time.sleep(delay)  # this request's own thread: concurrent requests wait together
            if status:
                headers = [("Retry-After", str(retry_after))] if retry_after is not None and status in (420, 429) else []
                return self.send(status, {"error": {"message": f"Injected failure {status}"}}, headers=headers)
            if match.group(1) != stub.cloud:
                raise ApiError(401, "cloud_name mismatch")
            content_type = self.headers.get("Content-Type", "")
            if content_type.startswith("multipart/form-data"):
                fields, files = parse_multipart(content_type, body)
            elif content_type.startswith("application/x-www-form-urlencoded"):
                fields = dict(urllib.parse.parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
                files = {}
            else:
                raise ApiError(400, "Unsupported Content-Type")
            with stub.lock:
                if match.group(2) == "upload":
                    result = stub.upload(fields, files, self.server.server_address[1])
                else:
                    result = stub.destroy(fields)
            return self.send(200, result)
        except ApiError as e:
            return self.send(e.status, {"error": {"message": e.message}})
        except (ValueError, json.JSONDecodeError) as e:
            return self.send(400, {"error": {"message": f"Bad request: {e}"}})

    def control(self, command):
        stub = self.stub
        with stub.lock:
            if command.get("reset"):
                stub.reset()
            if "fail_next" in command:
                stub.fail_next = [int(s) for s in command["fail_next"] or []]
            if "fail_always" in command:
                stub.fail_always = int(command["fail_always"]) if command["fail_always"] else None
            if "retry_after" in command:
                stub.retry_after = command["retry_after"]
            if "delay" in command:
                stub.delay = float(command["delay"]) if command["delay"] else None
            if "fail_every" in command:
                stub.fail_every = max(int(command["fail_every"] or 0), 0)
            if "fail_status" in command:
                stub.fail_status = int(command["fail_status"])
            state = {"fail_next": stub.fail_next, "fail_always": stub.fail_always,
                     "retry_after": stub.retry_after, "delay": stub.delay,
                     "fail_every": stub.fail_every, "fail_status": stub.fail_status}
        return self.send(200, state)


def main():
    env = os.environ.get
    parser = argparse.ArgumentParser(description="Local Cloudinary Upload API stub (127.0.0.1 only)")
    parser.add_argument("--port", type=int, default=int(env("CLOUDINARY_STUB_PORT", "0")))
    parser.add_argument("--cloud", default=env("CLOUDINARY_STUB_CLOUD", "stub-cloud"))
    parser.add_argument("--api-key", default=env("CLOUDINARY_STUB_API_KEY", "stub-key"))
    parser.add_argument("--api-secret", default=env("CLOUDINARY_STUB_API_SECRET", "stub-secret"))
    parser.add_argument("--delay-ms", type=float, default=float(env("CLOUDINARY_STUB_DELAY_MS", "0")),
                        help="wait before answering each upload or destroy call")
    parser.add_argument("--fail-every", type=int, default=int(env("CLOUDINARY_STUB_FAIL_EVERY", "0")),
                        help="fail every Nth upload or destroy call (0: never)")
    parser.add_argument("--fail-status", type=int, choices=(420, 429, 500, 502, 503),
                        default=int(env("CLOUDINARY_STUB_FAIL_STATUS", "429")),
                        help="the status of those failures (420/429 carry Retry-After: 1)")
    args = parser.parse_args()
    if args.delay_ms < 0 or args.fail_every < 0:
        parser.error("--delay-ms and --fail-every must not be negative")
    if args.fail_status not in (420, 429, 500, 502, 503):  # a default from the environment
        parser.error(f"--fail-status {args.fail_status}: expected 420, 429, 500, 502 or 503")
    Handler.stub = Stub(args.cloud, args.api_key, args.api_secret, args.delay_ms, args.fail_every,
                        args.fail_status)
    server = Server(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    print(f"cloudinary stub listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
