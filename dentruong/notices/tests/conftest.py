"""Notice tests run on Wednesday 17 March 2027 (a school day of the cast's calendar), from
07:45 in Việt Nam, against real servers on 127.0.0.1 started here: an HTTP server that
plays the SMS gateway and Zalo OA (answering as each test scripts it, recording what it
received) and an SMTP server (aiosmtpd). Nothing of the sending code is mocked."""

from __future__ import annotations

import datetime as dt
import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from typing import Any as SettingsWrapper

import pytest
import time_machine
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from dentruong.attendance.services import SubmitResult, submit_roll_call
from dentruong.notices.models import NoticeConsent
from dentruong.notices.services import VN_TZ, record_consent
from dentruong.notices.worker import Tally, Worker
from dentruong.orgs.models import SchoolClass
from dentruong.people.models import Guardian
from tests.cast import Cast

D = dt.date
TODAY = D(2027, 3, 17)  # Wednesday
YESTERDAY = D(2027, 3, 16)
NOW = dt.datetime(2027, 3, 17, 7, 45, tzinfo=VN_TZ)
SMS_KEY = "test-sms-key"
ZALO_TOKEN = "test-zalo-token"


@pytest.fixture
def clock() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


# --- the HTTP gateway ------------------------------------------------------------------------


@dataclass
class Received:
    path: str
    headers: dict[str, str]  # names in lower case (HTTP header names ignore case)
    body: Any


@dataclass
class Gateway:
    """Answers POSTs from `script[path]` (a list of (status, JSON body), consumed in
    order; the last one repeats), else 200 with a fresh id."""

    url: str
    received: list[Received] = field(default_factory=list)
    script: dict[str, list[tuple[int, Any]]] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering (a gateway too slow to answer)

    def answer(self, path: str) -> tuple[int, Any]:
        queue = self.script.get(path)
        if not queue:
            return 200, {"id": f"gw-{len(self.received)}"}
        return queue.pop(0) if len(queue) > 1 else queue[0]

    def to(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    gw = Gateway(url=f"http://127.0.0.1:{server.server_address[1]}")
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with lock:
                gw.received.append(
                    Received(
                        self.path,
                        {k.lower(): v for k, v in self.headers.items()},
                        json.loads(raw or b"null"),
                    )
                )
                status, body = gw.answer(self.path)
            if gw.delay:
                time.sleep(gw.delay)
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server.RequestHandlerClass = Handler
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield gw
    server.shutdown()
    server.server_close()
    thread.join(5)


# --- the SMTP server -------------------------------------------------------------------------


@dataclass
class Mailbox:
    host: str
    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    rcpt_answer: str = "250 OK"  # "550 …" or "451 …" to refuse a recipient


class _Handler:
    def __init__(self, box: Mailbox) -> None:
        self.box = box

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if not self.box.rcpt_answer.startswith("250"):
            return self.box.rcpt_answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content
        assert isinstance(raw, bytes)
        message = message_from_bytes(raw, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.box.messages.append(message)
        self.box.envelopes.append((str(envelope.mail_from), list(envelope.rcpt_tos)))
        return "250 Message accepted"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox(host="127.0.0.1", port=_free_port())
    controller = Controller(_Handler(box), hostname=box.host, port=box.port)
    controller.start()
    yield box
    controller.stop()


# --- settings, the cast, roll calls -------------------------------------------------------


@pytest.fixture
def channels(settings: SettingsWrapper, gateway: Gateway, mailbox: Mailbox) -> SettingsWrapper:
    """Every channel configured, pointing at the test servers."""
    settings.NOTICE_SMS_URL = f"{gateway.url}/sms"
    settings.NOTICE_SMS_KEY = SMS_KEY
    settings.NOTICE_SMS_KEY_HEADER = "X-API-Key"
    settings.NOTICE_SMS_UNICODE = False
    settings.NOTICE_ZALO_URL = f"{gateway.url}/zalo"
    settings.NOTICE_ZALO_TOKEN = ZALO_TOKEN
    settings.EMAIL_HOST = mailbox.host
    settings.EMAIL_PORT = mailbox.port
    settings.EMAIL_USE_TLS = False
    settings.DEFAULT_FROM_EMAIL = "Đến Trường <noreply@dentruong.test>"
    settings.NOTICE_CHANNEL_ORDER = ["zalo", "sms", "email"]
    settings.NOTICE_TIMEOUT_SECONDS = 5
    settings.ROLL_CALL_REMINDER_TIME = "08:30"
    return settings


@pytest.fixture(autouse=True)
def _class_3a_has_afternoons(request: pytest.FixtureRequest) -> None:
    """In these tests class 3A holds both sessions (a second K the same day)."""
    if "cast" in request.fixturenames:
        cast: Cast = request.getfixturevalue("cast")
        cast.class_3a.has_afternoon = True
        cast.class_3a.save()


def guardian(cast: Cast) -> Guardian:
    """Đặng Văn Sử, father of Đặng Thị Ánh (3A), +84912345678."""
    return cast.household.guardians.get()


def consent(
    cast: Cast, channel: str = "sms", address: str = "0912 345 678", **more: Any
) -> NoticeConsent:
    return record_consent(
        guardian=guardian(cast), channel=channel, address=address, by=cast.teacher, **more
    )


def roll(
    cast: Cast,
    marks: dict[int, str] | None = None,
    *,
    day: dt.date = TODAY,
    session: str = "am",
    client_id: uuid.UUID | None = None,
    school_class: SchoolClass | None = None,
) -> SubmitResult:
    """Submit a roll call: `marks` = student id → code."""
    klass = SchoolClass.objects.select_related("school__unit", "school_year").get(
        pk=(school_class or cast.class_3a).pk
    )
    return submit_roll_call(
        school_class=klass,
        date=day,
        session=session,
        marks={sid: (code, "", "") for sid, code in (marks or {}).items()},
        by=cast.teacher,
        client_id=client_id or uuid.uuid4(),
    )


def run_worker() -> Tally:
    """One pass of a fresh worker, as `manage.py run_notices --once` does."""
    return Worker().run_once()
