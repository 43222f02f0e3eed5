"""The adapters the routes use, created on first use and cached for the life of the container."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from quarterdeck.auth import SigningKeys, load_signing_keys
from quarterdeck.repositories.people import DynamoPeopleRepository, PeopleRepository
from quarterdeck.repositories.sign_in import DynamoSignInRepository, SignInRepository
from quarterdeck.store import Store

if TYPE_CHECKING:
    from quarterdeck.login_link_mail import LoginLinkMail
    from quarterdeck.mail import MailSender
    from quarterdeck.reports.send_queue import ReportSendQueue
    from quarterdeck.repositories.checklists import ChecklistRepository
    from quarterdeck.repositories.deliveries import DeliveryRepository
    from quarterdeck.repositories.guests import GuestRepository
    from quarterdeck.repositories.nudges import NudgeRepository
    from quarterdeck.repositories.portfolio import PortfolioRepository
    from quarterdeck.repositories.report_archive import ReportArchiveRepository
    from quarterdeck.repositories.reports import ReportRunRepository
    from quarterdeck.repositories.sails import SailRepository
    from quarterdeck.repositories.tasks import TaskRepository

_installed_report_queue: ReportSendQueue | None = None


@lru_cache(maxsize=1)
def store() -> Store:
    return Store()


def people_repository() -> PeopleRepository:
    return DynamoPeopleRepository(store())


def sign_in_repository() -> SignInRepository:
    return DynamoSignInRepository(store())


def checklist_repository() -> ChecklistRepository:
    from quarterdeck.repositories.checklists import DynamoChecklistRepository

    return DynamoChecklistRepository(store())


def nudge_repository() -> NudgeRepository:
    from quarterdeck.repositories.nudges import DynamoNudgeRepository

    return DynamoNudgeRepository(store())


def sail_repository() -> SailRepository:
    """Sails and their roles, over the cached table."""
    from quarterdeck.repositories.sails import DynamoSailRepository  # loaded by the routes that use it

    return DynamoSailRepository(store())


def guest_repository() -> GuestRepository:
    from quarterdeck.repositories.guests import DynamoGuestRepository  # only the guest routes load it

    return DynamoGuestRepository(store())


def task_repository() -> TaskRepository:
    from quarterdeck.repositories.tasks import DynamoTaskRepository  # loads with the task routes only

    return DynamoTaskRepository(store())


def portfolio_repository() -> PortfolioRepository:
    from quarterdeck.repositories.portfolio import DynamoPortfolioRepository  # the business data routes only

    return DynamoPortfolioRepository(store())


def report_run_repository() -> ReportRunRepository:
    from quarterdeck.repositories.reports import DynamoReportRunRepository  # loads with the report routes only

    return DynamoReportRunRepository(store())


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


_installed_login_link_mail: LoginLinkMail | None = None


def login_link_mail() -> LoginLinkMail:
    """Where a login-link request is handed over to be mailed after the answer: this function,
    invoked asynchronously (AWS), or what the local stack installed (a background thread)."""
    if _installed_login_link_mail is not None:
        return _installed_login_link_mail
    return _lambda_login_link_mail()


@lru_cache(maxsize=1)
def _lambda_login_link_mail() -> LoginLinkMail:
    from quarterdeck.login_link_mail import LambdaLoginLinkMail

    return LambdaLoginLinkMail()


def install_login_link_mail(hand_off: LoginLinkMail | None) -> None:
    """Use `hand_off` for login links in this process (None: back to the self-invoke)."""
    global _installed_login_link_mail
    _installed_login_link_mail = hand_off


def reset() -> None:
    """Forget cached adapters (tests that change settings)."""
    from quarterdeck.mail import default_mail_sender

    store.cache_clear()
    default_mail_sender.cache_clear()
    _lambda_report_queue.cache_clear()
    _lambda_login_link_mail.cache_clear()
