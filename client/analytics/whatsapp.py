"""WhatsApp "Export chat" files (.txt, or the .zip that wraps one) into a :class:`Chat`.

WhatsApp writes one header per message, in the exporting phone's locale:
``[17/09/2019, 16:37:47] Name: text`` on iOS, ``17/09/2019, 16:37 - Name: text`` on
Android, with every date order, 12- or 24-hour clocks ("PM", "p. m.", narrow no-break
spaces), and lines without a header continuing the previous message.

The file is streamed in chunks (never read whole) and one regular expression finds the
headers in each chunk; every header is kept with its raw text. Only when the whole file
has been seen are the date order and the majority header style decided, because the
evidence for both (a day above 12, a date going backwards) may come anywhere in the
file. Distinct dates and times are converted once and cached, which is what keeps a
million messages within seconds (bench/analytics_parse.py).
"""

from __future__ import annotations

import codecs
import gc
import io
import re
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import date, datetime, time
from pathlib import Path
from typing import IO, Literal

from parley.client.analytics.model import Attachment, Chat, ImportProblem, Message, MessageKind

DateOrder = Literal["dmy", "mdy", "ymd"]
DATE_ORDERS: tuple[DateOrder, ...] = ("dmy", "mdy", "ymd")
Progress = Callable[[float], None]

# Invisible characters exports put before headers and around names.
_MARKS = "\ufeff\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_SPACE = "[ \u00a0\u202f]"

_HEADER = re.compile(
    rf"^[{_MARKS}]*"
    r"(\[)?"  # 1 iOS bracket
    r"(\d{1,4}([./-])\d{1,2}\3\d{1,4})\.?"  # 2 date, 3 its separator
    rf",?{_SPACE}*(?:(?:klo|kl\.|um|à|at|às|alle|a las|o){_SPACE}+)?"  # "12.3.2021 klo 14.22"
    r"((?:[01]?\d|2[0-4])[:.][0-5]\d(?:[:.][0-5]\d)?)"  # 4 time
    rf"(?:[{_SPACE[1:-1]}_]*([AaPp])\.?{_SPACE}?[Mm]\.?)?"  # 5 a.m./p.m. in any spelling
    rf"(?(1)\]{_SPACE}?|{_SPACE}*[-\u2013\u2014]{_SPACE}?)",  # "] " or " - " (or en dash)
    re.MULTILINE,
)
_CHUNK = 1 << 22  # bytes decoded and scanned at a time

# Markers WhatsApp writes instead of a message body, in the languages it is most used in.
# Compared after lower-casing and stripping invisible marks and a trailing full stop.
MEDIA_OMITTED = frozenset(
    {
        "<media omitted>",
        "<multimedia omitido>",
        "<archivo omitido>",
        "<mídia oculta>",
        "<multimédia omitido>",
        "<medien ausgeschlossen>",
        "<médias omis>",
        "<media omessi>",
        "<media weggelaten>",
        "<medya dahil edilmedi>",
        "<без медиафайлов>",
        "<медиафайлы не включены>",
        "<media tidak disertakan>",
        "<pominięto multimedia>",
        "<medier udeladt>",
        "<media utelämnad>",
        "<media utelatt>",
        "<média elhagyva>",
        "<média vynechána>",
        "<εξαιρέθηκαν τα πολυμέσα>",
        "<tệp phương tiện bị bỏ qua>",
        "<ไม่รวมสื่อ>",
        "<미디어 파일 생략>",
        "<メディアなし>",
        "<省略影音>",
        "<媒体文件已忽略>",
        "<تم استبعاد الوسائط>",
        "<מדיה הושמטה>",
        "<मीडिया के बिना>",
        "null",
    }
)
# iOS writes "image omitted", "video omitted", ... per media type.
_IOS_OMITTED = re.compile(
    r"^(?:image|video|audio|sticker|gif|document|contact card|imagen|vídeo|sticker|"
    r"documento|imagem|áudio|figurinha|bild|audio|immagine|afbeelding|görüntü|gambar|"
    r"изображение|видео|аудио|стикер)\b.*?\b(?:omitted|omitida|omitido|ocultada|oculto|"
    r"ocultado|weggelassen|absente|absent|omis|omessa|omesso|weggelaten|dahil edilmedi|"
    r"tidak disertakan|отсутствует|не включено)$"
)
DELETED_BY_OTHERS = frozenset(
    {
        "this message was deleted",
        "se eliminó este mensaje",
        "este mensaje fue eliminado",
        "mensaje eliminado",
        "esta mensagem foi apagada",
        "mensagem apagada",
        "diese nachricht wurde gelöscht",
        "ce message a été supprimé",
        "questo messaggio è stato eliminato",
        "dit bericht is verwijderd",
        "bu mesaj silindi",
        "данное сообщение удалено",
        "это сообщение удалено",
        "pesan ini telah dihapus",
        "ta wiadomość została usunięta",
        "denne besked blev slettet",
        "detta meddelande togs bort",
        "αυτό το μήνυμα διαγράφηκε",
        "此消息已删除",
        "このメッセージは削除されました",
    }
)
DELETED_BY_ME = frozenset(
    {
        "you deleted this message",
        "eliminaste este mensaje",
        "você apagou esta mensagem",
        "apagou esta mensagem",
        "du hast diese nachricht gelöscht",
        "vous avez supprimé ce message",
        "hai eliminato questo messaggio",
        "je hebt dit bericht verwijderd",
        "bu mesajı sildiniz",
        "вы удалили данное сообщение",
        "вы удалили это сообщение",
        "anda menghapus pesan ini",
        "usunięto tę wiadomość",
        "du slettede denne besked",
        "du tog bort detta meddelande",
        "你删除了此消息",
        "このメッセージを削除しました",
    }
)
EDITED = frozenset(
    {
        "this message was edited",
        "se editó este mensaje",
        "mensaje editado",
        "mensagem editada",
        "esta mensagem foi editada",
        "diese nachricht wurde bearbeitet",
        "ce message a été modifié",
        "message modifié",
        "questo messaggio è stato modificato",
        "messaggio modificato",
        "dit bericht is bewerkt",
        "bu mesaj düzenlendi",
        "сообщение изменено",
        "pesan ini telah diedit",
        "wiadomość edytowana",
    }
)
_MARKERS: dict[str, MessageKind] = {
    **dict.fromkeys(MEDIA_OMITTED, MessageKind.MEDIA),
    **dict.fromkeys(DELETED_BY_OTHERS | DELETED_BY_ME, MessageKind.DELETED),
}
# (length, first character) a marker can have as written, with or without a final full
# stop: a cheap gate before lower-casing every message body.
_MARKER_KEYS = frozenset(
    (len(m) + extra, first) for m in _MARKERS for first in {m[0], m[0].upper()} for extra in (0, 1)
)
# iOS: "<attached: 00000012-PHOTO-2021-03-02-12-00-00.jpg>" ("<anexo: …>", "<Anhang: …>").
_ATTACHED = re.compile(r"<[^<>:]{2,30}:\s?([^<>]+\.[0-9A-Za-z]{2,5})>")
# Android: "IMG-20210302-WA0001.jpg (file attached)" ("(archivo adjunto)", ...).
_FILE_ATTACHED = re.compile(r"^(\S[^()]*\.[0-9A-Za-z]{2,5}) \([^()]{3,40}\)$")
_ENCRYPTION = re.compile(
    r"end-to-end|cifrad[oa]s? de extremo a extremo|criptografia de ponta a ponta|"
    r"ende-zu-ende|de bout en bout|crittografia end-to-end|uçtan uca|сквозным шифрованием|"
    r"terenkripsi|szyfrowane end-to-end|End-to-end|Ende-zu-Ende"
)
# A text that merely looks like "Name: text" but is an authorless system line.
_SYSTEM_VERB = re.compile(
    r" (?:changed (?:the subject|this group|the group|their phone)|created group|"
    r"added|removed|left|joined using|pinned a message)\b"
)
_CALLS = re.compile(
    r"^(?:missed (?:voice|video|group voice|group video) call|(?:voice|video) call|"
    r"llamada (?:de voz )?perdida|videollamada perdida|chamada de (?:voz|vídeo) perdida|"
    r"verpasster (?:sprach|video)anruf|appel (?:vocal|vidéo) manqué|"
    r"chiamata (?:vocale|video) persa)",
    re.IGNORECASE,
)
_CHAT_NAME = re.compile(
    r"^(?:WhatsApp Chat (?:with|mit|-)|Chat de WhatsApp con|Conversa do WhatsApp com|"
    r"Discussion WhatsApp avec|Chat WhatsApp con|WhatsApp-chat met|WhatsApp Sohbeti:?)\s+(.+)$",
    re.IGNORECASE,
)

# One header and its body, kept raw until the whole file is seen:
# (date, time, am/pm, bracketed, header + body text, header length, line number)
_Entry = tuple[str, str, str | None, bool, str, int, int]


def read_whatsapp(
    path: Path,
    *,
    date_order: DateOrder | None = None,
    progress: Progress | None = None,
) -> Chat:
    """Parse a WhatsApp export (.txt, or .zip holding ``_chat.txt`` or one ``*.txt``)."""
    source = str(path)
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                member = _chat_member(archive, source)
                size = archive.getinfo(member).file_size
                with archive.open(member) as stream:
                    chat = _read_stream(
                        stream, f"{source}!{member}", size, date_order, progress, path.stem
                    )
                return chat
        with path.open("rb") as stream:
            size = path.stat().st_size
            return _read_stream(stream, source, size, date_order, progress, path.stem)
    except OSError as error:
        raise ImportProblem(
            "unreadable", source, "", f"cannot be read ({error.strerror or error})"
        ) from None
    except zipfile.BadZipFile as error:
        raise ImportProblem(
            "bad-zip", source, "", f"is not a valid zip archive ({error})"
        ) from None


def parse_lines(
    lines: Iterable[str], *, source: str = "<text>", date_order: DateOrder | None = None
) -> Chat:
    """Parse already-decoded lines (tests and callers holding text in memory)."""
    data = "\n".join(lines).encode("utf-8")
    return _read_stream(io.BytesIO(data), source, len(data), date_order, None, source)


def _chat_member(archive: zipfile.ZipFile, source: str) -> str:
    names = [info for info in archive.infolist() if info.filename.lower().endswith(".txt")]
    for info in names:
        if Path(info.filename).name == "_chat.txt":
            return info.filename
    if not names:
        raise ImportProblem(
            "no-chat-in-zip", source, "", "the zip holds no .txt chat (expected _chat.txt)"
        )
    return max(names, key=lambda info: info.file_size).filename


def _read_stream(
    stream: IO[bytes],
    source: str,
    size: int,
    date_order: DateOrder | None,
    progress: Progress | None,
    stem: str,
) -> Chat:
    # Millions of small acyclic objects would trigger a full cyclic-GC pass again and
    # again (quadratic in effect); none of them can form a cycle, so pause the collector.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        entries = _scan(stream, source, size, progress)
        chat = _build_chat(entries, source, date_order, stem)
    finally:
        if was_enabled:
            gc.enable()
    if progress is not None:
        progress(1.0)
    return chat


def _scan(stream: IO[bytes], source: str, size: int, progress: Progress | None) -> list[_Entry]:
    """Find every header, chunk by chunk; what lies between two headers is the body.

    The regular expression runs over megabytes of text at once (its loop is in C), so
    continuation lines cost nothing in Python. A chunk is cut at its last header, the
    rest carried into the next one, so no message is ever split.
    """
    entries: list[_Entry] = []
    append = entries.append
    finditer = _HEADER.finditer
    decoder: codecs.IncrementalDecoder | None = None
    carry = ""
    carry_line = 1  # line number of the first line of ``carry``
    newlines_read = 0
    read = 0
    while True:
        block = stream.read(_CHUNK)
        final = not block
        if decoder is None:
            # Exports are UTF-8; a UTF-16 byte-order mark means a re-saved file (Windows).
            encoding = (
                "utf-16" if block[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) else "utf-8"
            )
            decoder = codecs.getincrementaldecoder(encoding)()
        try:
            text = carry + decoder.decode(block, final=final)
        except UnicodeDecodeError as error:
            line = newlines_read + block.count(b"\n", 0, max(error.start, 0)) + 1
            raise ImportProblem(
                "not-utf8",
                source,
                f"line {line}",
                "is not UTF-8 text; WhatsApp exports are UTF-8, is this the right file?",
            ) from None
        newlines_read += block.count(b"\n")
        read += len(block)
        if "\r" in text:
            if not final and text.endswith("\r"):
                text, tail = text[:-1], "\r"
            else:
                tail = ""
            text = text.replace("\r\n", "\n").replace("\r", "\n") + tail
        line = carry_line
        previous: re.Match[str] | None = None
        previous_start = previous_line = 0
        for header in finditer(text):
            start = header.start()
            if previous is not None:
                raw = text[previous_start : start - 1]
                if raw[-1:] == "\n":
                    raw = raw.rstrip("\n")
                bracket, date_text, _, time_text, ampm = previous.groups()
                append(
                    (date_text, time_text, ampm, bracket is not None, raw,
                     previous.end() - previous_start, previous_line)
                )  # fmt: skip
                line += text.count("\n", previous_start, start)
            else:
                line += text.count("\n", 0, start)
            previous, previous_start, previous_line = header, start, line
        if previous is None:  # no header yet: a preamble, or not a WhatsApp export
            if final or len(text) > _CHUNK:
                break
            carry = text
            continue
        if final:
            raw = text[previous_start:].rstrip("\n")
            date_text, time_text, ampm = previous.group(2, 4, 5)
            append(
                (date_text, time_text, ampm, previous.group(1) is not None, raw,
                 previous.end() - previous_start, previous_line)
            )  # fmt: skip
            break
        carry = text[previous.start() :]
        carry_line = previous_line
        if progress is not None and size:
            progress(min(read / size, 0.99))
    if not entries:
        raise ImportProblem(
            "no-messages",
            source,
            "line 1",
            "no WhatsApp message header found (expected lines like "
            "'[31/12/2023, 23:59:59] Name: text' or '31/12/23, 23:59 - Name: text')",
        )
    return entries


def _date_fields(date_text: str) -> tuple[str, str, str, str]:
    """('17', '/', '09', '2019') from '17/09/2019'."""
    separator = "/" if "/" in date_text else ("." if "." in date_text else "-")
    d1, d2, d3 = date_text.split(separator)
    return d1, separator, d2, d3


def _date_group(date_text: str) -> tuple[str, bool]:
    d1, separator, _, _ = _date_fields(date_text)
    return separator, len(d1) == 4


def _style(entry: _Entry) -> tuple[bool, str, bool, bool, bool, bool]:
    """What one phone's locale fixes: brackets, separator, field layout, clock."""
    d1, separator, _, d3 = _date_fields(entry[0])
    return (
        entry[3],
        separator,
        len(d1) == 4,
        len(d3) == 4,
        len(entry[1]) > 5,
        entry[2] is not None,
    )


def _to_date(d1: str, d2: str, d3: str, order: DateOrder) -> date | None:
    if order == "ymd":
        year, month, day = d1, d2, d3
    elif order == "dmy":
        day, month, year = d1, d2, d3
    else:
        month, day, year = d1, d2, d3
    y = int(year)
    if len(year) <= 2:
        y += 2000
    try:
        return date(y, int(month), int(day))
    except ValueError:
        return None


def choose_date_order(
    dates: list[tuple[str, str, str]], separator: str, year_first: bool
) -> tuple[DateOrder, str]:
    """Pick the date order for one group of same-shaped dates, with the reason.

    Evidence first: a field above 12 can only be a day. Then chronology: exports are in
    time order, so the order with fewer backward jumps wins. Last the locale shape: an
    unpadded slash date ("2/11/19") is the US pattern M/d/yy, everything else defaults
    to day first, which most of the world uses.
    """
    if year_first:
        return "ymd", "the year comes first"
    first_big = sum(1 for d1, _, _ in dates if int(d1) > 12)
    second_big = sum(1 for _, d2, _ in dates if int(d2) > 12)
    if first_big and not second_big:
        return "dmy", "a first field above 12 can only be a day"
    if second_big and not first_big:
        return "mdy", "a second field above 12 can only be a day"
    if first_big and second_big:
        order: DateOrder = "dmy" if first_big >= second_big else "mdy"
        return order, "the dates contradict each other; the majority reading won"
    backwards = {o: _backward_steps(dates, o) for o in ("dmy", "mdy")}
    if backwards["dmy"] != backwards["mdy"]:
        order = "dmy" if backwards["dmy"] < backwards["mdy"] else "mdy"
        return order, "it keeps the messages in time order"
    if separator == "/" and any(len(d1) == 1 or len(d2) == 1 for d1, d2, _ in dates):
        return "mdy", "ambiguous; unpadded slash dates are the US month-first pattern"
    return "dmy", "ambiguous; day first is the default"


def _backward_steps(dates: list[tuple[str, str, str]], order: DateOrder) -> int:
    steps = 0
    previous: date | None = None
    for d1, d2, d3 in dates:
        current = _to_date(d1, d2, d3, order)
        if current is None:
            steps += 1_000  # an impossible date weighs more than any disorder
            continue
        if previous is not None and current < previous:
            steps += 1
        previous = current
    return steps


def _to_time(time_text: str, ampm: str | None) -> time:
    parts = time_text.replace(".", ":").split(":")
    h = int(parts[0])
    if ampm is not None:
        h = h % 12 + (12 if ampm in "Pp" else 0)
    return time(h % 24, int(parts[1]), int(parts[2]) if len(parts) > 2 else 0)


_STYLE_SAMPLE = 2000
_NOTICE_LINES = 5


def _build_chat(
    entries: list[_Entry], source: str, date_order: DateOrder | None, stem: str
) -> Chat:
    notes: list[str] = []
    # Dates in file order (consecutive repeats dropped) per group of same-shaped dates.
    sequences: dict[tuple[str, bool], list[tuple[str, str, str]]] = {}
    group_of: dict[str, tuple[str, bool]] = {}
    previous_date = ""
    for entry in entries:
        if entry[0] != previous_date:
            previous_date = entry[0]
            d1, separator, d2, d3 = _date_fields(previous_date)
            group = group_of[previous_date] = (separator, len(d1) == 4)
            sequences.setdefault(group, []).append((d1, d2, d3))
    orders: dict[tuple[str, bool], DateOrder] = {}
    for group, dates in sequences.items():
        if date_order is not None and not (group[1] and date_order != "ymd"):
            orders[group] = date_order
            continue
        order, reason = choose_date_order(dates, group[0], group[1])
        orders[group] = order
        notes.append(f"dates written with '{group[0]}' read as {order}: {reason}")
    # The majority style, estimated on evenly spaced headers (exact for small files).
    step = max(1, len(entries) // _STYLE_SAMPLE)
    sample = entries[::step]
    dominant, count = Counter(_style(entry) for entry in sample).most_common(1)[0]
    has_majority = count * 2 > len(sample)

    date_cache: dict[str, date | None] = {}
    time_cache: dict[str | None, dict[str, time]] = {}
    authors: dict[str, str | None] = {}
    combine = datetime.combine
    messages: list[Message] = []
    append = messages.append
    previous_time = datetime.min
    merged = 0
    # Consume the entries from a reversed list so each raw text is freed once its
    # message exists: peak memory holds one copy of the chat, not two.
    entries.reverse()
    pop = entries.pop
    while entries:
        entry = pop()
        date_text, time_text, ampm = entry[0], entry[1], entry[2]
        day = date_cache.get(date_text, date.min)
        if day is date.min:
            d1, _, d2, d3 = _date_fields(date_text)
            day = date_cache[date_text] = _to_date(d1, d2, d3, orders[group_of[date_text]])
        if day is None:
            if date_order is not None and has_majority and _style(entry) == dominant:
                raise ImportProblem(
                    "bad-date",
                    source,
                    f"line {entry[6]}",
                    f"'{date_text}' is not a date in the order {date_order} given with "
                    "--date-order",
                )
            _continue_previous(messages, entry)
            merged += 1
            continue
        clocks = time_cache.get(ampm)
        if clocks is None:
            clocks = time_cache[ampm] = {}
        clock = clocks.get(time_text)
        if clock is None:
            clock = clocks[time_text] = _to_time(time_text, ampm)
        when = combine(day, clock)
        if when < previous_time and has_majority and _style(entry) != dominant:
            # A header in a foreign style that goes back in time is a quoted or pasted
            # line inside the previous message, not a message of this export.
            _continue_previous(messages, entry)
            merged += 1
            continue
        previous_time = when
        append(_classify(entry[4], entry[5], when, authors, len(messages) < _NOTICE_LINES))
    chat = Chat(
        platform="whatsapp", name=_chat_name(stem, messages), source=source, messages=messages
    )
    chat.notes.extend(notes)
    if merged:
        chat.notes.append(
            f"{merged} header-like line(s) with an impossible date, or in another style going "
            "back in time, were kept as text of the message before them"
        )
    _infer_me(chat, stem)
    return chat


def _continue_previous(messages: list[Message], entry: _Entry) -> None:
    if not messages:
        return
    previous = messages[-1]
    previous.text = f"{previous.text}\n{entry[4]}" if previous.text else entry[4]


_STRIP = _MARKS + " ."
_NAME_STRIP = _MARKS + " "


def _normal(text: str) -> str:
    return text.strip(_STRIP).lower()


def _author(prefix: str) -> str | None:
    """The author before ": ", or None when the words read as a system sentence."""
    if _SYSTEM_VERB.search(prefix):
        return None
    return prefix.strip(_NAME_STRIP)


def _classify(
    raw: str, header_length: int, when: datetime, authors: dict[str, str | None], first_lines: bool
) -> Message:
    """One message from its raw text. ``first_lines``: it is among the export's first
    lines, the only place an encryption notice "by" the group name appears (Android)."""
    newline = raw.find("\n", header_length)
    first_end = len(raw) if newline < 0 else newline
    colon = raw.find(": ", header_length, first_end)
    author: str | None = None
    if colon > header_length:
        prefix = raw[header_length:colon]
        author = authors.get(prefix, "")
        if author == "":
            author = authors[prefix] = _author(prefix)
        body = raw[colon + 2 :]
    elif first_end > header_length + 1 and raw[first_end - 1] == ":" and newline >= 0:
        author = raw[header_length : first_end - 1].strip(_NAME_STRIP) or None
        body = raw[newline + 1 :]
    if author is None:
        text = raw[header_length:].strip(_MARKS)
        kind = MessageKind.CALL if _CALLS.match(text) else MessageKind.SYSTEM
        return Message(time=when, author=None, text=text, kind=kind)
    app_written = body.startswith("\u200e")  # iOS marks texts it wrote itself
    edited = False
    if body.endswith(">"):
        opening = body.rfind("<")
        if opening >= 0 and _normal(body[opening + 1 : -1]) in EDITED:
            edited = True
            body = body[:opening].rstrip(_MARKS + " ")
    body = body.strip(_MARKS) if app_written else body
    short = len(body) < 80
    kind = MessageKind.TEXT
    normal = ""
    if app_written or (len(body), body[:1]) in _MARKER_KEYS:
        normal = body.strip(_STRIP).lower()
        kind = _MARKERS.get(normal, MessageKind.TEXT)
    attachments: tuple[Attachment, ...] = ()
    if kind is MessageKind.MEDIA or (app_written and _IOS_OMITTED.match(normal)):
        kind = MessageKind.MEDIA
        attachments = (Attachment(name=""),)
    elif kind is MessageKind.DELETED:
        pass
    elif "<" in body and (attached := _ATTACHED.search(body)) is not None:
        kind = MessageKind.MEDIA
        attachments = (Attachment(name=attached.group(1).strip()),)
        body = (body[: attached.start()] + body[attached.end() :]).strip(_MARKS + " \n")
    elif "(" in body and (filed := _FILE_ATTACHED.match(body.split("\n", 1)[0])) is not None:
        kind = MessageKind.MEDIA
        attachments = (Attachment(name=filed.group(1)),)
        body = body.split("\n", 1)[1] if "\n" in body else ""
    elif body.startswith(("POLL:", "ENCUESTA:", "ENQUETE:", "UMFRAGE:", "SONDAGE:", "SONDAGGIO:")):
        kind = MessageKind.POLL
    elif app_written and short and _CALLS.match(body):
        kind = MessageKind.CALL
    elif app_written or (first_lines and _ENCRYPTION.search(body, 0, 300)):
        kind = MessageKind.SYSTEM
    if kind is MessageKind.TEXT and not edited:
        return Message(time=when, author=author, text=body)
    return Message(
        time=when, author=author, text=body, kind=kind, attachments=attachments, edited=edited
    )


def _chat_name(stem: str, messages: list[Message]) -> str:
    named = _CHAT_NAME.match(stem)
    if named is not None:
        return named.group(1).strip()
    for message in messages[:50]:
        # iOS groups write their own name as the author of system lines.
        if message.kind is MessageKind.SYSTEM and message.author is not None:
            return message.author
    return stem


def _infer_me(chat: Chat, stem: str) -> None:
    """Who exported: the author of "You deleted this message", else the other person
    of a two-person chat named after its contact; the last resort is left to the caller.
    """
    for message in chat.messages:
        if (
            message.kind is MessageKind.DELETED
            and message.author is not None
            and _normal(message.text) in DELETED_BY_ME
        ):
            chat.me, chat.me_source = message.author, "deleted-marker"
            break
    # iOS system lines are written by the group itself, never by a person.
    people = chat.participants
    chat.is_group = len(people) > 2 or any(
        m.kind is MessageKind.SYSTEM and m.author is not None for m in chat.messages[:50]
    )
    if chat.me is None:
        named = _CHAT_NAME.match(stem)
        if named is not None and len(people) == 2 and named.group(1).strip() in people:
            other = named.group(1).strip()
            chat.me = next(name for name in people if name != other)
            chat.me_source = "chat-name"
