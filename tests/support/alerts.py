"""Local alert receivers on loopback: a webhook (http.server) and an SMTP sink (a small
stdlib socket server), and the ``alerts.yaml`` that points at them."""

from __future__ import annotations

import email
import email.policy
import json
import socketserver
import threading
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import yaml


class WebhookReceiver:
    """Collects the JSON bodies POSTed to ``url``."""

    def __init__(self, status: int = 200) -> None:
        self.bodies: list[dict[str, Any]] = []
        received = self.bodies

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length", 0))
                received.append(json.loads(self.rfile.read(length)))
                self.send_response(status)
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> WebhookReceiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


class SmtpSink:
    """The smallest SMTP server smtplib talks to: keeps each message it is given."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        received = self.messages

        class Handler(socketserver.StreamRequestHandler):
            def reply(self, line: str) -> None:
                self.wfile.write(line.encode() + b"\r\n")

            def handle(self) -> None:
                self.reply("220 sink ready")
                while line := self.rfile.readline():
                    verb = line.decode(errors="replace").strip().split(" ")[0].upper()
                    if verb in ("EHLO", "HELO"):
                        self.reply("250 sink")
                    elif verb == "DATA":
                        self.reply("354 go ahead")
                        data = b""
                        while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                            data += chunk[1:] if chunk.startswith(b"..") else chunk
                        received.append(email.message_from_bytes(data, policy=email.policy.default))
                        self.reply("250 queued")
                    elif verb == "QUIT":
                        self.reply("221 bye")
                        return
                    else:  # MAIL, RCPT, RSET, NOOP
                        self.reply("250 ok")

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> SmtpSink:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def alerts_yaml(webhook: WebhookReceiver | None, smtp: SmtpSink | None, **extra: object) -> str:
    """An ``alerts.yaml`` pointing at the local receivers."""
    data: dict[str, object] = dict(extra)
    if webhook is not None:
        data["webhook"] = {"url": webhook.url, "timeout_seconds": 5}
    if smtp is not None:
        data["email"] = {
            "host": "127.0.0.1",
            "port": smtp.port,
            "from": "daemon@example.com",
            "to": ["ops@example.com"],
            "timeout_seconds": 5,
        }
    return yaml.safe_dump(data)


# --- tests ------------------------------------------------------------------------------


