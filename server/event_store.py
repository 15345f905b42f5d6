"""The reactive event store: committed events routed to the subscriptions of their user.

One reactivex ``Subject`` per connected user, kept in a dict keyed by user id: raising
an event is one dict lookup and a call per subscription of that user (their devices),
so its cost does not grow with the number of connected users. Events are published
only after the store committed them, from the :class:`UserEvent` list the store's write
returned; a subject exists only while its user has a subscription.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from reactivex.abc import DisposableBase
from reactivex.disposable import Disposable
from reactivex.subject import Subject

from parley.shared.events import UserEvent

log = logging.getLogger(__name__)


class EventStore:
    """Routes each :class:`UserEvent` to the observers of ``event.user_id``."""

    def __init__(self) -> None:
        self._subjects: dict[int, Subject[UserEvent]] = {}
        self._observers: dict[int, int] = {}
        # How long an event may trail later events of its user: those this process
        # publishes at once, another process's only when the event tail reads them. A
        # chat stream holds events above a gap that long (0: nothing comes late).
        self.gap_wait_s = 0.0

    def publish(self, events: Iterable[UserEvent]) -> None:
        """Deliver committed events; an observer's failure is logged, not propagated.

        A failing observer must not stop the others (or the sender's ack): each
        subscription catches and reports its own errors in :meth:`subscribe`.
        """
        subjects = self._subjects
        for user_event in events:
            subject = subjects.get(user_event.user_id)
            if subject is not None:
                subject.on_next(user_event)

    def subscribe(self, user_id: int, on_event: Callable[[UserEvent], None]) -> DisposableBase:
        """Call ``on_event`` for each event of a user until the returned handle is disposed."""
        subject = self._subjects.get(user_id)
        if subject is None:
            subject = self._subjects[user_id] = Subject()
        self._observers[user_id] = self._observers.get(user_id, 0) + 1

        def guarded(user_event: UserEvent) -> None:
            try:
                on_event(user_event)
            except Exception:
                log.exception("event subscriber of user %d failed", user_id)

        inner = subject.subscribe(on_next=guarded)
        disposed = False

        def dispose() -> None:
            nonlocal disposed
            if disposed:
                return
            disposed = True
            inner.dispose()
            remaining = self._observers[user_id] - 1
            if remaining:
                self._observers[user_id] = remaining
            else:
                del self._observers[user_id]
                self._subjects.pop(user_id).on_completed()

        return Disposable(dispose)

    @property
    def subscribed_users(self) -> int:
        return len(self._subjects)
