"""The one HTTP client every connector uses: JSON in and out, with bounded, polite retries.

* 429 waits what ``Retry-After`` says (seconds or an HTTP date), up to ``max_retry_after``;
  a vendor asking for longer stops the run, to be resumed from its cursor next time.
* 5xx, timeouts and dropped connections are retried with exponential back-off and full
  jitter, at most ``max_attempts`` times in all.
* Anything else that is not JSON (a login page, a proxy's HTML error) is a ``VendorError``.

Errors name the vendor's status and never quote a response body or a credential.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

from chalicelib.errors import ProcessingFailed

if TYPE_CHECKING:
    import requests


class VendorError(ProcessingFailed):
    """A vendor's API failed, refused us or answered something unreadable; the run stops and resumes later."""

    status_code = 502


class CursorRejected(VendorError):
    """The vendor no longer accepts the stored cursor; a full sync starts over."""


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0
    max_retry_after: float = 120.0


class VendorHttp:
    """JSON over HTTP with the retry rules above; ``requests_made`` counts every request sent.

    Parameters
    ----------
    session
        A ``requests.Session``; one is created on first use when omitted.
    sleep, jitter
        Injected so tests run without waiting: ``jitter()`` returns a float in [0, 1).
    """

    def __init__(
        self,
        *,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
        policy: RetryPolicy | None = None,
        timeout: float = 20.0,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._session = session
        self._sleep = sleep
        self._jitter = jitter
        self._policy = policy or RetryPolicy()
        self._timeout = timeout
        self._now = now
        self.requests_made = 0
        self.waited = 0.0

    def session(self) -> requests.Session:
        if self._session is None:
            import requests

            self._session = requests.Session()
        return self._session

    def json(self, method: str, url: str, *, what: str, **kwargs: Any) -> Any:
        """Send a request and return its JSON body.

        Raises
        ------
        CursorRejected
            The vendor answered 410 Gone, its way of refusing a position it no longer keeps.
        VendorError
            A non-retryable status, retries exhausted, or a body that is not JSON.
        """
        response = self.send(method, url, what=what, **kwargs)
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            kind = response.headers.get("content-type", "unknown").split(";")[0]
            raise VendorError(f"{what} answered {kind}, not JSON") from exc

    def send(
        self, method: str, url: str, *, what: str, passthrough: tuple[int, ...] = (), **kwargs: Any
    ) -> requests.Response:
        """Send with retries and return a 2xx response, or one whose status the caller handles (``passthrough``).

        See ``json`` for the errors.
        """
        import requests

        kwargs.setdefault("timeout", self._timeout)
        for attempt in range(1, self._policy.max_attempts + 1):
            last = attempt == self._policy.max_attempts
            self.requests_made += 1
            try:
                response = self.session().request(method, url, **kwargs)
            except (requests.Timeout, requests.ConnectionError) as exc:
                if last:
                    raise VendorError(f"{what} did not answer after {attempt} attempts") from exc
                self._back_off(attempt)
                continue
            status = response.status_code
            if status < 300 or status in passthrough:
                return response
            if status == 410:
                raise CursorRejected(f"{what} no longer accepts the stored position (410)")
            if status == 429 and not last:
                self._wait(self._retry_after(response.headers, attempt))
                continue
            if status >= 500 and not last:
                self._back_off(attempt)
                continue
            if status in (401, 403):
                raise VendorError(f"{what} refused the credentials ({status})")
            raise VendorError(f"{what} answered {status}")
        raise VendorError(f"{what} gave up after {self._policy.max_attempts} attempts")  # pragma: no cover

    def _back_off(self, attempt: int) -> None:
        ceiling = min(self._policy.max_delay, self._policy.base_delay * 2 ** (attempt - 1))
        self._wait(ceiling * self._jitter())

    def _retry_after(self, headers: Mapping[str, str], attempt: int) -> float:
        text = (headers.get("retry-after") or "").strip()
        if not text:
            return min(self._policy.max_delay, self._policy.base_delay * 2 ** (attempt - 1))
        try:
            delay = float(text)
        except ValueError:
            try:
                delay = (parsedate_to_datetime(text) - self._now()).total_seconds()
            except (TypeError, ValueError) as exc:
                raise VendorError("the vendor's Retry-After is unreadable") from exc
        if delay > self._policy.max_retry_after:
            raise VendorError(f"the vendor asks to wait {int(delay)} s; the run resumes later")
        return max(0.0, delay)

    def _wait(self, seconds: float) -> None:
        self.waited += seconds
        self._sleep(seconds)
