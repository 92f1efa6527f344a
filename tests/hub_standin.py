"""A loopback stand-in for the Hugging Face Hub's API: the endpoints `huggingface_hub` calls to
create a dataset repo and commit files to it (every file answered as a regular, non-LFS upload)."""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class StandInHub:
    def __init__(self) -> None:
        self.repos: dict[str, dict] = {}  # repo id -> {"private": bool, "files": {path: bytes}, "commits": [msg]}
        self.unknown: list[str] = []
        self.validated: list[str] = []  # README texts sent to /api/validate-yaml
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                hub.handle(self, self.path, body)

            def do_GET(self) -> None:
                hub.handle(self, self.path, b"")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def handle(self, req, path: str, body: bytes) -> None:
        parts = path.split("?")[0].strip("/").split("/")
        if parts[:3] == ["api", "repos", "create"]:
            data = json.loads(body)
            repo = f"{data['organization']}/{data['name']}" if data.get("organization") else data["name"]
            self.repos.setdefault(repo, {"private": bool(data.get("private")) or data.get("visibility") == "private", "files": {}, "commits": []})
            return _json(req, {"url": f"{self.url}/datasets/{repo}", "name": repo})
        if parts[:2] == ["api", "validate-yaml"]:  # the Hub checks a README's metadata before a commit
            self.validated.append(json.loads(body)["content"])
            return _json(req, {"errors": [], "warnings": []})
        if parts[:2] == ["api", "datasets"] and len(parts) >= 6 and parts[4] == "preupload":
            files = json.loads(body)["files"]
            return _json(req, {"files": [{"path": f["path"], "uploadMode": "regular", "shouldIgnore": False}
                                         for f in files]})
        if parts[:2] == ["api", "datasets"] and len(parts) >= 6 and parts[4] == "commit":
            repo = f"{parts[2]}/{parts[3]}"
            for line in body.decode("utf-8").splitlines():
                item = json.loads(line)
                if item["key"] == "header":
                    self.repos[repo]["commits"].append(item["value"]["summary"])
                elif item["key"] == "file":
                    value = item["value"]
                    self.repos[repo]["files"][value["path"]] = base64.b64decode(value["content"])
            return _json(req, {"commitUrl": f"{self.url}/datasets/{repo}/commit/{'0' * 40}",
                               "commitOid": "0" * 40, "pullRequestUrl": None})
        self.unknown.append(path)
        _json(req, {"error": f"stand-in hub does not serve {path}"}, status=404)


def _json(req, data: dict, status: int = 200) -> None:
    payload = json.dumps(data).encode()
    req.send_response(status)
    req.send_header("Content-Type", "application/json")
    req.send_header("Content-Length", str(len(payload)))
    req.end_headers()
    req.wfile.write(payload)
