"""Login links in the local stack: mailed after the answer, by a background thread.

In AWS the API invokes itself asynchronously (quarterdeck.login_link_mail); here the same
domain function (`sessions.send_login_link`) runs on one worker thread of this process, never
under the API's one-event lock (server.py), so the answer to POST /api/auth/login-link is sent
before anything about the address is read, as in AWS. Reading the outbox waits for the links
handed over before it (server.py), so a test or a developer never reads it half-way.
"""

from __future__ import annotations

import queue
import threading

from quarterdeck.observability import logger


class InProcessLoginLinkMail:
    def __init__(self) -> None:
        self._emails: queue.Queue[str] = queue.Queue()
        self._busy = threading.Condition()
        self._pending = 0
        self._worker: threading.Thread | None = None

    def submit(self, email: str) -> None:
        with self._busy:
            self._pending += 1
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._work, name="quarterdeck-login-links", daemon=True)
                self._worker.start()
        self._emails.put(email)

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Until every handed-over link has been dealt with; False on timeout."""
        with self._busy:
            return self._busy.wait_for(lambda: self._pending == 0, timeout)

    def _work(self) -> None:
        from quarterdeck.mail import default_mail_sender
        from quarterdeck.repositories.people import DynamoPeopleRepository
        from quarterdeck.repositories.sign_in import DynamoSignInRepository
        from quarterdeck.sessions import send_login_link
        from quarterdeck.store import Store

        while True:
            email = self._emails.get()
            try:
                store = Store()
                send_login_link(
                    DynamoPeopleRepository(store), DynamoSignInRepository(store), default_mail_sender(), email
                )
            except Exception:  # in AWS: Lambda retries the event, then drops it (logged)
                logger.exception("local login link failed")
            finally:
                with self._busy:
                    self._pending -= 1
                    self._busy.notify_all()
