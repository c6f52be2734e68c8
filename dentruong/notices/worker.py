"""The notice worker: sends what is due, one notice at a time, and queues the roll-call
reminders at ROLL_CALL_REMINDER_TIME. Run by `manage.py run_notices` (`make demo`
starts it beside gunicorn).

One pass (`run_once`): sweep (give up notices whose day is over, mark "delivery unknown"
those a dead worker left "sending"), queue the reminders if their time has come, then
claim → send → record until nothing is due. A claim is one short transaction; the
sending happens outside any transaction, so SQLite's write lock is never held across a
network call.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from dentruong.notices import services
from dentruong.notices.adapters import Adapter, SendResult, adapters_from_settings
from dentruong.notices.services import VN_TZ, local_today
from dentruong.orgs.models import Session

logger = logging.getLogger("dentruong.notices")


@dataclass
class Tally:
    sent: int = 0
    retry: int = 0
    failed: int = 0
    skipped: int = 0
    expired: int = 0
    interrupted: int = 0
    reminders: int = 0

    def __str__(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.__dict__.items())


def reminder_time() -> dt.time | None:
    """ROLL_CALL_REMINDER_TIME as a time (Việt Nam), None when empty; ValueError if bad."""
    value = str(getattr(settings, "ROLL_CALL_REMINDER_TIME", "") or "").strip()
    if not value:
        return None
    return dt.datetime.strptime(value, "%H:%M").time()


class Worker:
    def __init__(
        self,
        *,
        adapters: Mapping[str, Adapter] | None = None,
        name: str | None = None,
        clock: Callable[[], dt.datetime] = timezone.now,
    ) -> None:
        self.adapters = dict(adapters) if adapters is not None else adapters_from_settings()
        self.name = name or services.worker_name()
        self.clock = clock
        self.reminded_on: dt.date | None = None
        self.remind_at = reminder_time()

    # -- one pass ----------------------------------------------------------------------

    def run_once(self, stop: threading.Event | None = None) -> Tally:
        tally = Tally()
        tally.expired, tally.interrupted = services.sweep(now=self.clock())
        try:
            tally.reminders = self.remind()
        except Exception:  # reminders must not hold back the notices already queued
            logger.exception("roll call reminders failed")
        while stop is None or not stop.is_set():
            notice = services.claim_next(now=self.clock(), worker=self.name)
            if notice is None:
                break
            adapter = self.adapters.get(notice.channel)
            if adapter is None or not adapter.configured():
                services.skip(
                    notice=notice,
                    reason=services.NOT_CONFIGURED,
                    now=self.clock(),
                    worker=self.name,
                )
                tally.skipped += 1
                continue
            try:
                result = adapter.send(
                    address=notice.address,
                    subject=notice.subject,
                    text=notice.text,
                    reference=str(notice.reference),
                )
            except Exception as error:  # an adapter bug must not stop the queue
                logger.exception("notice %s: adapter %s raised", notice.pk, notice.channel)
                result = SendResult.retry(f"{type(error).__name__}: {error}")
            status = services.record_result(
                notice=notice, result=result, now=self.clock(), worker=self.name
            )
            logger.info(
                "notice %s %s %s attempt %s: %s %s",
                notice.pk,
                notice.kind,
                notice.channel,
                notice.attempts,
                status,
                result.error or result.provider_id,
            )
            if status == "sent":
                tally.sent += 1
            elif status == "queued":
                tally.retry += 1
            else:
                tally.failed += 1
        return tally

    def remind(self) -> int:
        """Queue the morning roll-call reminders once a day, at or after their time.
        The database keeps it at one per teacher and day, across restarts."""
        if self.remind_at is None:
            return 0
        now = timezone.localtime(self.clock(), VN_TZ)
        today = local_today(self.clock())
        if self.reminded_on == today or now.time() < self.remind_at:
            return 0
        reminders = services.queue_roll_call_reminders(day=today, session=Session.MORNING)
        self.reminded_on = today
        return len(reminders)

    # -- the loop ----------------------------------------------------------------------

    def run(self, stop: threading.Event, poll: float | None = None) -> None:
        """Pass after pass until `stop` is set (SIGTERM): the notice being sent is
        finished and recorded, nothing else is claimed."""
        wait = settings.NOTICE_POLL_SECONDS if poll is None else poll
        logger.info("notice worker %s started", self.name)
        while not stop.is_set():
            try:
                tally = self.run_once(stop)
                if any(tally.__dict__.values()):
                    logger.info("notice worker pass: %s", tally)
            except Exception:  # the database went away: try again after a pause
                logger.exception("notice worker pass failed")
                from django.db import close_old_connections

                close_old_connections()
            stop.wait(wait)
        logger.info("notice worker %s stopped", self.name)
