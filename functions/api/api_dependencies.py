"""The adapters the routes use, created on first use and cached for the life of the container."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from quarterdeck.auth import SigningKeys, load_signing_keys
from quarterdeck.store import Store

if TYPE_CHECKING:
    from quarterdeck.mail import MailSender
    from quarterdeck.reports.send_queue import ReportSendQueue
    from quarterdeck.repositories.deliveries import DeliveryRepository
    from quarterdeck.repositories.report_archive import ReportArchiveRepository

_installed_report_queue: ReportSendQueue | None = None


@lru_cache(maxsize=1)
def store() -> Store:
    return Store()


def report_archive_repository() -> ReportArchiveRepository:
    from quarterdeck.repositories.report_archive import DynamoReportArchiveRepository

    return DynamoReportArchiveRepository(store())


def delivery_repository() -> DeliveryRepository:
    from quarterdeck.repositories.deliveries import DynamoDeliveryRepository

    return DynamoDeliveryRepository(store())


def mailer() -> MailSender:
    from quarterdeck.mail import default_mail_sender  # not every route mails: the sail page never loads SES

    return default_mail_sender()


def signing_keys() -> SigningKeys:
    return load_signing_keys()  # kept for five minutes per container


def report_queue() -> ReportSendQueue:
    """Where send-now hands a report over: ReportFunction, invoked asynchronously (AWS), or
    what the local stack installed (`install_report_queue`: the same handler in a thread)."""
    if _installed_report_queue is not None:
        return _installed_report_queue
    return _lambda_report_queue()


@lru_cache(maxsize=1)
def _lambda_report_queue() -> ReportSendQueue:
    from quarterdeck.reports.send_queue import LambdaReportQueue

    return LambdaReportQueue()


def install_report_queue(queue: ReportSendQueue | None) -> None:
    """Use `queue` for send-now in this process (None: back to ReportFunction)."""
    global _installed_report_queue
    _installed_report_queue = queue


def reset() -> None:
    """Forget cached adapters (tests that change settings)."""
    from quarterdeck.mail import default_mail_sender

    store.cache_clear()
    default_mail_sender.cache_clear()
    _lambda_report_queue.cache_clear()
