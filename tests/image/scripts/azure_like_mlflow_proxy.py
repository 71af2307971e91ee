"""A stand-in for Azure ML's MLflow tracking server: a real `mlflow server` behind this proxy, which
answers 404 with an empty body for MLflow 3's logged-models API, as Azure's server does
(Azure/azure-sdk-for-python#44896: "API request to endpoint /api/2.0/mlflow/logged-models failed with
error code 404 != 200. Response body: ''"). Everything else is passed through unchanged.

Usage: python azure_like_mlflow_proxy.py LISTEN_PORT UPSTREAM_URL
Every request it refused is printed as "refused METHOD PATH", so a test can tell what the client tried.
"""

import sys
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

UPSTREAM_TIMEOUT_S = 60
MISSING_ON_AZURE = ("/api/2.0/mlflow/logged-models", "/ajax-api/2.0/mlflow/logged-models")


class Proxy(BaseHTTPRequestHandler):
    upstream = ""

    def _handle(self) -> None:
        if self.path.startswith(MISSING_ON_AZURE):
            print(f"refused {self.command} {self.path}", flush=True)
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length", "connection")}
        request = urllib.request.Request(self.upstream + self.path, data=body, headers=headers, method=self.command)
        try:
            with urllib.request.urlopen(request, timeout=UPSTREAM_TIMEOUT_S) as response:
                status, reply, reply_headers = response.status, response.read(), response.headers
        except urllib.error.HTTPError as error:
            status, reply, reply_headers = error.code, error.read(), error.headers
        except (urllib.error.URLError, OSError) as error:   # upstream down: say so, as a gateway would
            status, reply, reply_headers = 502, f"upstream {self.upstream}: {error}".encode(), {}
        self.send_response(status)
        for key, value in reply_headers.items():
            if key.lower() not in ("content-length", "transfer-encoding", "connection", "server", "date"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

    def log_message(self, *args) -> None:   # quiet: only refusals are printed
        pass


def main() -> None:
    port, Proxy.upstream = int(sys.argv[1]), sys.argv[2].rstrip("/")
    ThreadingHTTPServer(("127.0.0.1", port), Proxy).serve_forever()


if __name__ == "__main__":
    main()
