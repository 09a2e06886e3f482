"""Real servers on loopback for the messaging tests: an SMTP server (aiosmtpd) that checks a
Gmail-like login and can answer as Gmail does when it refuses, and a fake VietGuys HTTP API."""

import asyncio
import email
import email.policy
import json
import socket
import threading
import time
from urllib.parse import parse_qs

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from core.tests.loopback import LoopbackServer, QuietHandler, free_port

GMAIL = "shop.hoamai@gmail.com"
APP_PASSWORD = "qwertyuiopasdfgh"
APP_PASSWORD_AS_SHOWN = "qwer tyui opas dfgh"  # as Google shows it


class MailServer:
    """What it accepted is in ``received`` (parsed messages); set ``auth_reply``,
    ``refuse`` (address -> reply at RCPT) or ``data_reply`` to answer as Gmail refuses."""

    def __init__(self):
        self.received: list[email.message.EmailMessage] = []
        self.logins = 0
        self.auth_reply: str | None = None
        self.refuse: dict[str, str] = {}
        self.data_reply: str | None = None
        self.drop_on_data = False
        self.hold_data_seconds = 0.0  # keep the client waiting after its DATA
        self.data_started = threading.Event()
        self.port = free_port()
        self.controller = Controller(
            self, hostname="127.0.0.1", port=self.port, authenticator=self._authenticate, auth_require_tls=False
        )

    def start(self) -> "MailServer":
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        self.logins += 1
        if self.auth_reply:
            return AuthResult(success=False, handled=False, message=self.auth_reply)
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
            GMAIL.encode(),
            APP_PASSWORD.encode(),
        )
        return AuthResult(success=ok, handled=False)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.data_started.set()
        if self.hold_data_seconds:
            await asyncio.sleep(self.hold_data_seconds)
        if self.drop_on_data:
            server.transport.close()
            return "421 closing"
        if self.data_reply:
            return self.data_reply
        self.received.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 2.0.0 OK"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [message for message in self.received if address in message["To"]]


class FakeVietGuys(LoopbackServer):
    """VietGuys' send API: each POST is recorded (its form fields) and answered with
    ``answer`` (JSON) or ``status``; ``delay_seconds`` holds the answer back."""

    def __init__(self):
        self.requests: list[dict[str, str]] = []
        self.answer: dict = {}
        self.answers: dict[str, dict] = {}  # by phone (84...): that number's own answer
        self.status = 200
        self.delay_seconds = 0.0
        self.hang_up = False  # read the request, then close the connection without answering
        self._next_id = 1000
        self._lock = threading.Lock()
        super().__init__()

    @property
    def url(self) -> str:
        return f"{super().url}/api/index.php"

    def _handler(self):
        fake = self

        class Handler(QuietHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                fields = {key: values[0] for key, values in parse_qs(self.rfile.read(length).decode()).items()}
                with fake._lock:
                    fake.requests.append(fields)
                    fake._next_id += 1
                    answer = (
                        fake.answers.get(fields.get("phone", ""))
                        or fake.answer
                        or {
                            "error": 0,
                            "message": "Success",
                            "msgid": f"vg-{fake._next_id}",
                            "carrier": "viettel",
                        }
                    )
                if fake.delay_seconds:
                    time.sleep(fake.delay_seconds)
                if fake.hang_up:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self.send_json(fake.status, json.dumps(answer).encode())

        return Handler
