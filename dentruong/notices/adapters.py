"""The channels a notice goes out on: an SMS gateway and Zalo OA over HTTP, e-mail over
SMTP. Each adapter sends one message and says what happened, without raising:

- `SendResult(ok=True, provider_id=…)`: the provider accepted it;
- `retryable=True`: worth trying again later (HTTP 5xx, 408, 429, a connection refused or
  timed out before the request went out, an SMTP 4xx, an expired Zalo token);
- `unsure=True`: the request went out and no answer came back: the provider may have sent
  it; not retried (at most once, docs/decisions/0007);
- otherwise a permanent refusal (HTTP 4xx, SMTP 5xx, a Zalo error about the message or the
  user): trying again would only be refused again.

An adapter whose settings are empty is not configured: the worker marks its notices
"not sent: channel not configured" and never calls it.

SMS text: ASCII-folded by default ("Dang Thi Anh vang khong phep"). A Vietnamese text
with its diacritics must go as UCS-2, 70 characters a part instead of 160 in GSM-7, so a
notice would cost three parts instead of one; unaccented SMS is what Vietnamese schools
and banks send. NOTICE_SMS_UNICODE=true sends the NFC text as it is (Zalo and e-mail
always do).
"""

from __future__ import annotations

import json
import smtplib
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any, Protocol

import vn_text
from django.conf import settings
from django.core.mail import EmailMessage, get_connection

from dentruong.notices.models import Channel

ERROR_MAX = 300
# Zalo OA answers HTTP 200 with {"error": <code>}; these codes are worth a retry: the
# token expired or is being refreshed (an operator's fix, not the message's fault), or a
# rate limit.
ZALO_RETRYABLE = {-32, -201, -216, -124}


@dataclass(frozen=True)
class SendResult:
    ok: bool
    provider_id: str = ""
    error: str = ""
    retryable: bool = False
    # The request went out but no answer came back (a read timeout, a reset connection):
    # the provider may have sent it. Not retried (at most once): "delivery unknown".
    unsure: bool = False

    @classmethod
    def sent(cls, provider_id: str = "") -> SendResult:
        return cls(ok=True, provider_id=str(provider_id)[:100])

    @classmethod
    def retry(cls, error: str) -> SendResult:
        return cls(ok=False, error=error[:ERROR_MAX], retryable=True)

    @classmethod
    def unknown(cls, error: str) -> SendResult:
        return cls(ok=False, error=error[:ERROR_MAX], unsure=True)

    @classmethod
    def refused(cls, error: str) -> SendResult:
        return cls(ok=False, error=error[:ERROR_MAX], retryable=False)


class Adapter(Protocol):
    channel: str

    def configured(self) -> bool: ...

    def send(self, *, address: str, subject: str, text: str, reference: str) -> SendResult: ...


def ascii_text(text: str) -> str:
    """'Đặng Thị Ánh vắng' → 'Dang Thi Anh vang': no diacritics, case and punctuation kept."""
    folded = vn_text.strip_stroke(vn_text.deaccent(text))
    return folded.encode("ascii", "replace").decode("ascii")


def _post_json(
    url: str, body: dict[str, Any], headers: dict[str, str], timeout: float
) -> tuple[int, Any, str]:
    """POST `body` as JSON; (status, parsed JSON or None, raw text). Raises OSError /
    URLError for the network, never HTTPError (returned as its status)."""
    request = urllib.request.Request(
        url,
        data=json.dumps(body, ensure_ascii=False).encode("utf-8"),
        headers={"Content-Type": "application/json; charset=utf-8", **headers},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as answer:
        status, raw = answer.code, answer.read()
    text = raw.decode("utf-8", "replace")
    try:
        parsed = json.loads(text) if text else None
    except ValueError:
        parsed = None
    return status, parsed, text


def _http_outcome(status: int, text: str) -> SendResult | None:
    """The result for a non-2xx answer; None for 2xx."""
    if 200 <= status < 300:
        return None
    error = f"HTTP {status}: {text[:200]}"
    if status >= 500 or status in (408, 425, 429):
        return SendResult.retry(error)
    return SendResult.refused(error)


def _network_error(error: BaseException) -> SendResult:
    return SendResult.retry(f"{type(error).__name__}: {error}")


def _http_failure(error: OSError) -> SendResult:
    """urllib wraps what happens before the request is sent (DNS, a refused or timed-out
    connection) in URLError: nothing went out, retry. A bare timeout or reset comes after
    the request was sent: the gateway may have sent the message."""
    if isinstance(error, urllib.error.URLError):
        return _network_error(error)
    return SendResult.unknown(f"no answer after sending: {type(error).__name__}: {error}")


def _first(data: Any, *keys: str) -> str:
    """The first of `keys` found in `data` or in `data["data"]`, as text."""
    for where in (data, data.get("data") if isinstance(data, dict) else None):
        if isinstance(where, dict):
            for key in keys:
                if where.get(key) not in (None, ""):
                    return str(where[key])
    return ""


@dataclass
class SmsHttpAdapter:
    """POST {"to", "text", "sender", "unicode", "request_id"} as JSON to NOTICE_SMS_URL
    with the key in the NOTICE_SMS_KEY_HEADER header. Any 2xx is accepted; the message id
    is read from "id", "message_id", "SMSID" or "tranId" (also under "data")."""

    url: str
    key: str
    key_header: str = "X-API-Key"
    sender: str = ""
    unicode: bool = False
    timeout: float = 10.0
    channel: str = Channel.SMS

    def configured(self) -> bool:
        return bool(self.url and self.key)

    def send(self, *, address: str, subject: str, text: str, reference: str) -> SendResult:
        body = {
            "to": address,
            "text": text if self.unicode else ascii_text(text),
            "sender": self.sender,
            "unicode": self.unicode,
            "request_id": reference,
        }
        try:
            status, data, raw = _post_json(
                self.url, body, {self.key_header: self.key}, self.timeout
            )
        except OSError as error:  # URLError is an OSError
            return _http_failure(error)
        refused = _http_outcome(status, raw)
        if refused:
            return refused
        return SendResult.sent(_first(data, "id", "message_id", "SMSID", "tranId"))


@dataclass
class ZaloOaAdapter:
    """Zalo Official Account "message/cs" (customer service message): POST
    {"recipient": {"user_id"}, "message": {"text"}} with the `access_token` header.
    Zalo answers 200 with {"error": 0, "data": {"message_id"}} or {"error": <negative>}."""

    url: str
    token: str
    timeout: float = 10.0
    channel: str = Channel.ZALO

    def configured(self) -> bool:
        return bool(self.url and self.token)

    def send(self, *, address: str, subject: str, text: str, reference: str) -> SendResult:
        body = {"recipient": {"user_id": address}, "message": {"text": text}}
        try:
            status, data, raw = _post_json(
                self.url, body, {"access_token": self.token}, self.timeout
            )
        except OSError as error:  # URLError is an OSError
            return _http_failure(error)
        refused = _http_outcome(status, raw)
        if refused:
            return refused
        code = data.get("error", 0) if isinstance(data, dict) else 0
        try:
            code = int(code)
        except (TypeError, ValueError):
            code = -1
        if code != 0:
            message = data.get("message", "") if isinstance(data, dict) else ""
            problem = f"Zalo error {code}: {message}"
            if code in ZALO_RETRYABLE:
                return SendResult.retry(problem)
            return SendResult.refused(problem)
        return SendResult.sent(_first(data, "message_id", "msg_id"))


@dataclass
class EmailAdapter:
    """Plain-text e-mail through Django's SMTP backend (EMAIL_HOST, EMAIL_PORT, …)."""

    host: str
    port: int
    from_email: str
    username: str = ""
    password: str = ""
    use_tls: bool = False
    timeout: float = 10.0
    channel: str = Channel.EMAIL

    def configured(self) -> bool:
        return bool(self.host and self.from_email)

    def send(self, *, address: str, subject: str, text: str, reference: str) -> SendResult:
        message_id = f"<{reference}@dentruong.local>"  # the notice's own id: stable
        connection = get_connection(
            "django.core.mail.backends.smtp.EmailBackend",
            host=self.host,
            port=self.port,
            username=self.username or None,
            password=self.password or None,
            use_tls=self.use_tls,
            timeout=self.timeout,
            fail_silently=False,
        )
        message = EmailMessage(
            subject=subject,
            body=text,
            from_email=self.from_email,
            to=[address],
            headers={"Message-ID": message_id},
            connection=connection,
        )
        try:
            message.send()
        except smtplib.SMTPRecipientsRefused as refused:
            code, answer = next(iter(refused.recipients.values()), (550, b""))
            return _smtp_outcome(int(code), answer)
        except smtplib.SMTPResponseException as answer:
            return _smtp_outcome(answer.smtp_code, answer.smtp_error)
        except (TimeoutError, smtplib.SMTPException, OSError) as error:
            return _network_error(error)
        return SendResult.sent(message_id)


def _smtp_outcome(code: int, answer: bytes | str) -> SendResult:
    text = answer.decode("utf-8", "replace") if isinstance(answer, bytes) else str(answer)
    error = f"SMTP {code}: {text}"
    return SendResult.retry(error) if 400 <= code < 500 else SendResult.refused(error)


def adapters_from_settings() -> dict[str, Adapter]:
    """One adapter per channel, from the settings (configured or not)."""
    timeout = float(getattr(settings, "NOTICE_TIMEOUT_SECONDS", 10))
    return {
        Channel.SMS: SmsHttpAdapter(
            url=settings.NOTICE_SMS_URL,
            key=settings.NOTICE_SMS_KEY,
            key_header=settings.NOTICE_SMS_KEY_HEADER,
            sender=settings.NOTICE_SMS_SENDER,
            unicode=settings.NOTICE_SMS_UNICODE,
            timeout=timeout,
        ),
        Channel.ZALO: ZaloOaAdapter(
            url=settings.NOTICE_ZALO_URL, token=settings.NOTICE_ZALO_TOKEN, timeout=timeout
        ),
        Channel.EMAIL: EmailAdapter(
            host=settings.EMAIL_HOST,
            port=settings.EMAIL_PORT,
            from_email=settings.DEFAULT_FROM_EMAIL,
            username=settings.EMAIL_HOST_USER,
            password=settings.EMAIL_HOST_PASSWORD,
            use_tls=settings.EMAIL_USE_TLS,
            timeout=timeout,
        ),
    }


def configured_channels() -> set[str]:
    return {
        channel for channel, adapter in adapters_from_settings().items() if adapter.configured()
    }
