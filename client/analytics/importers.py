"""Open any supported export by looking at it, and decide who "me" is across chats."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

from parley.client.analytics.model import Chat, ImportProblem
from parley.client.analytics.parley_export import looks_like_parley_export, read_parley_export
from parley.client.analytics.telegram import read_telegram
from parley.client.analytics.whatsapp import DateOrder, read_whatsapp

Progress = Callable[[float], None]


def read_export(
    path: Path, *, date_order: DateOrder | None = None, progress: Progress | None = None
) -> list[Chat]:
    """Every chat in one export file, whatever app wrote it."""
    try:
        with path.open("rb") as stream:
            head = stream.read(4096)
    except OSError as error:
        raise ImportProblem(
            "unreadable", str(path), "", f"cannot be read ({error.strerror or error})"
        ) from None
    if head.startswith(b"PK"):
        return [read_whatsapp(path, date_order=date_order, progress=progress)]
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        if looks_like_parley_export(head):
            return read_parley_export(path, progress=progress)
        return read_telegram(path, progress=progress)
    return [read_whatsapp(path, date_order=date_order, progress=progress)]


def read_exports(
    paths: Sequence[Path],
    *,
    date_order: DateOrder | None = None,
    me: str | None = None,
    progress: Progress | None = None,
) -> list[Chat]:
    """All chats of several files, with ``me`` settled for each (see :func:`settle_me`)."""
    chats: list[Chat] = []
    for index, path in enumerate(paths):

        def step(fraction: float, index: int = index) -> None:
            if progress is not None:
                progress((index + fraction) / len(paths))

        chats.extend(read_export(path, date_order=date_order, progress=step))
    settle_me(chats, me)
    return chats


def settle_me(chats: list[Chat], me: str | None) -> None:
    """Decide who the user is in each chat.

    ``--me`` wins. Otherwise an importer's own evidence stands (Telegram's personal
    information, WhatsApp's "You deleted this message", a chat named after the other
    person). Chats still undecided take the name that evidence gave elsewhere, else the
    name present in the most imported chats (the exporter is in all of them; ties go to
    whoever wrote most), else their most frequent author, with a note saying it was a
    guess.
    """
    if me is not None:
        for chat in chats:
            chat.me, chat.me_source = (me, "option") if me in chat.participants else (None, "")
            if chat.me is None and chat.messages:
                chat.notes.append(f"{me!r} wrote nothing in this chat")
        return
    known = Counter(chat.me for chat in chats if chat.me is not None)
    presence: Counter[str] = Counter()
    volume: Counter[str] = Counter()
    for chat in chats:
        presence.update(chat.participants)
        volume.update(m.author for m in chat.messages if m.by_person and m.author)
    for chat in chats:
        if chat.me is not None:
            continue
        people = chat.participants
        if not people:
            continue
        choice = next((name for name, _ in known.most_common() if name in people), None)
        if choice is not None:
            chat.me, chat.me_source = choice, "other-chats"
            continue
        # The exporter is in every chat they exported: prefer whoever is in most of them.
        best = max(people, key=lambda name: (presence[name], volume[name]))
        if presence[best] > 1:
            chat.me, chat.me_source = best, "most-chats"
        else:
            chat.me, chat.me_source = best, "most-frequent"
        why = "in the most imported chats" if presence[best] > 1 else "the most frequent author"
        chat.notes.append(f"guessed that you are {chat.me!r} ({why}); pass --me NAME to choose")
