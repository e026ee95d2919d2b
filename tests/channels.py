"""Real peers on loopback for the notification tests: an SMTP server and an HTTP receiver."""
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MailSink:
    """aiosmtpd on 127.0.0.1: collects every message it accepts. With ``tls`` (a server-side
    SSLContext) it speaks TLS, as STARTTLS (required) or, with ``implicit_tls``, from the first
    byte; with ``credentials`` (login, password) it accepts mail only after that login."""

    def __init__(self, port: int, tls=None, implicit_tls=False, credentials=None):
        self.port = port
        self.messages = []
        self.logins = []
        self._controller = None
        self._tls, self._implicit_tls, self._credentials = tls, implicit_tls, credentials

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        from aiosmtpd.smtp import AuthResult

        given = (auth_data.login.decode(), auth_data.password.decode())
        self.logins.append(given[0])
        return AuthResult(success=given == self._credentials)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        from email import message_from_bytes, policy

        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def start(self):
        options = {}
        if self._tls is not None and self._implicit_tls:
            options["ssl_context"] = self._tls
        elif self._tls is not None:
            options.update(tls_context=self._tls, require_starttls=True)
        if self._credentials:
            # With implicit TLS aiosmtpd does not know the connection is encrypted, so it would not
            # offer AUTH if told to require TLS for it; the connection is TLS from the start anyway.
            options.update(authenticator=self._authenticate, auth_required=True,
                           auth_require_tls=not self._implicit_tls)
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port, **options)
        self._controller.start()
        return self

    def stop(self):
        if self._controller:
            self._controller.stop()
            self._controller = None


class WebhookReceiver:
    """An HTTP server on 127.0.0.1 that records each POST (header names in lower case) and
    answers as told (200 by default)."""

    def __init__(self):
        self.requests = []
        self.answers = []  # status codes (or (status, headers)) to give, in order; then 200
        self.hang_on = None  # the n-th request (1-based) is held open until released
        self.delay = 0.0  # seconds each POST takes before it is answered: a slow partner system
        self.release = threading.Event()
        self.arrived = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                headers = {name.lower(): value for name, value in self.headers.items()}
                receiver.requests.append((headers, body))
                number = len(receiver.requests)
                if receiver.hang_on == number:
                    receiver.arrived.set()
                    receiver.release.wait(timeout=30)
                if receiver.delay:
                    time.sleep(receiver.delay)
                status = receiver.answers.pop(0) if receiver.answers else 200
                status, extra_headers = status if isinstance(status, tuple) else (status, {})
                self.send_response(status)
                for name, value in extra_headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_GET(self):  # noqa: N802 - recorded too: a webhook must never end up here
                receiver.requests.append(({name.lower(): value for name, value in self.headers.items()}, b""))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def bodies(self):
        return [json.loads(body) for _headers, body in self.requests]

    def stop(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
