"""WhatsApp exports: every header style, markers in several languages, and bad input."""

from __future__ import annotations

import zipfile
from datetime import datetime
from pathlib import Path

import pytest

from parley.client.analytics.model import ImportProblem, MessageKind
from parley.client.analytics.whatsapp import choose_date_order, parse_lines, read_whatsapp


def test_ios_brackets_with_seconds_narrow_spaces_and_pm() -> None:
    chat = parse_lines(
        [
            "[1/24/21, 12:41:03\u202fPM] ~\u202fAna: Of course!",
            "[1/24/21, 1:02:00\u202fAM] Bo 🐼: ok",
        ]
    )
    assert [(m.time, m.author, m.text) for m in chat.messages] == [
        (datetime(2021, 1, 24, 12, 41, 3), "~\u202fAna", "Of course!"),
        (datetime(2021, 1, 24, 1, 2), "Bo 🐼", "ok"),
    ]


def test_android_dashes_with_spanish_am_pm_and_midnight() -> None:
    chat = parse_lines(
        [
            "13/01/2019, 00:08 a. m. - Ana: hola",
            "13/01/2019, 12:10 p. m. - Bea: mediodía",
            "13/01/2019, 11:59 p.m. - Ana: noche",
        ]
    )
    assert [m.time.hour for m in chat.messages] == [0, 12, 23]
    assert [m.time.day for m in chat.messages] == [13, 13, 13]


def test_bom_crlf_and_direction_marks_are_invisible(tmp_path: Path) -> None:
    path = tmp_path / "chat.txt"
    path.write_bytes(
        "\ufeff[04.01.18, 11:53:57] Alice: one\r\n"
        "\u200e[14.01.18, 11:54:34] Bob: two\r\nsecond line\r\n".encode()
    )
    chat = read_whatsapp(path)
    assert [(m.author, m.text) for m in chat.messages] == [
        ("Alice", "one"),
        ("Bob", "two\nsecond line"),
    ]


def test_multiline_message_keeps_lines_that_look_like_dates() -> None:
    chat = parse_lines(
        [
            "2/11/19, 14:51 - John: dates and colons",
            "",
            "2/11/19: Arrival",
            "12/12/19: Departure",
            "2/11/19, 14:52 - Ann: ok",
        ]
    )
    assert chat.messages[0].text == "dates and colons\n\n2/11/19: Arrival\n12/12/19: Departure"
    assert len(chat.messages) == 2


def test_system_lines_with_and_without_author() -> None:
    chat = parse_lines(
        [
            "[12/03/2021, 10:00:00] Climbers: \u200eMessages and calls are end-to-end encrypted.",
            "[12/03/2021, 10:00:01] Climbers: \u200eAna added Bo",
            "[12/03/2021, 10:01:00] Ana: hi all",
            "15/03/2021, 09:00 - Bo left",
        ]
    )
    kinds = [(m.author, m.kind) for m in chat.messages]
    assert kinds == [
        ("Climbers", MessageKind.SYSTEM),
        ("Climbers", MessageKind.SYSTEM),
        ("Ana", MessageKind.TEXT),
        (None, MessageKind.SYSTEM),
    ]
    assert chat.participants == ["Ana"]
    assert chat.name == "Climbers"


@pytest.mark.parametrize(
    "marker",
    [
        "<Media omitted>",
        "<Multimedia omitido>",
        "<Mídia oculta>",
        "<Medien ausgeschlossen>",
        "<Médias omis>",
        "<Media omessi>",
        "<Media weggelaten>",
        "<Medya dahil edilmedi>",
        "<Без медиафайлов>",
        "<Media tidak disertakan>",
        "\u200eimage omitted",
        "\u200esticker omitted",
    ],
)
def test_media_omitted_in_many_languages(marker: str) -> None:
    chat = parse_lines([f"01/02/2020, 10:00 - Ana: {marker}"])
    assert chat.messages[0].kind is MessageKind.MEDIA
    assert chat.messages[0].author == "Ana"


def test_attachments_ios_and_android() -> None:
    chat = parse_lines(
        [
            "[01/02/2020, 10:00:00] Ana: \u200e<attached: 00000012-PHOTO-2020-02-01-10-00-00.jpg>",
            "01/02/2020, 10:01 - Bo: IMG-20200201-WA0001.jpg (file attached)",
            "look at this",
        ]
    )
    first, second = chat.messages
    assert first.kind is MessageKind.MEDIA
    assert first.attachments[0].name == "00000012-PHOTO-2020-02-01-10-00-00.jpg"
    assert second.kind is MessageKind.MEDIA
    assert second.attachments[0].name == "IMG-20200201-WA0001.jpg"
    assert second.text == "look at this"


@pytest.mark.parametrize(
    ("line", "mine"),
    [
        ("This message was deleted", False),
        ("You deleted this message", True),
        ("Se eliminó este mensaje.", False),
        ("Eliminaste este mensaje.", True),
        ("Diese Nachricht wurde gelöscht.", False),
        ("Du hast diese Nachricht gelöscht.", True),
        ("Ce message a été supprimé", False),
        ("Esta mensagem foi apagada", False),
        ("Questo messaggio è stato eliminato", False),
    ],
)
def test_deleted_markers_and_who_deleted(line: str, mine: bool) -> None:
    chat = parse_lines(["01/02/2020, 10:00 - Ana: hi", f"01/02/2020, 10:01 - Bo: {line}"])
    assert chat.messages[1].kind is MessageKind.DELETED
    assert (chat.me == "Bo") is mine
    if mine:
        assert chat.me_source == "deleted-marker"


def test_edited_marker_is_removed_and_flagged() -> None:
    chat = parse_lines(["[01/02/2020, 10:00:00] Ana: see you at 8 \u200e<This message was edited>"])
    assert chat.messages[0].text == "see you at 8"
    assert chat.messages[0].edited


def test_name_with_colon_splits_at_the_first_colon_space_and_dot_line_is_system() -> None:
    chat = parse_lines(
        [
            "2/11/19, 14:21 - The final test: Does it work with colons?: Hallelujah!",
            "2/20/19, 14:22 - John Doe:.",
        ]
    )
    assert chat.messages[0].author == "The final test"
    assert chat.messages[0].text == "Does it work with colons?: Hallelujah!"
    assert chat.messages[1].kind is MessageKind.SYSTEM


def test_date_order_evidence_chronology_and_default() -> None:
    assert choose_date_order([("13", "01", "20")], "/", False)[0] == "dmy"
    assert choose_date_order([("01", "13", "20")], "/", False)[0] == "mdy"
    assert choose_date_order([("2020", "01", "13")], "-", True)[0] == "ymd"
    # Only chronology decides: Jan 5, Feb 3, Mar 1 read month first; 1 May, 2 Mar, 3 Jan not.
    in_time_month_first = [("01", "05", "20"), ("02", "03", "20"), ("03", "01", "20")]
    assert choose_date_order(in_time_month_first, "/", False)[0] == "mdy"
    assert choose_date_order([("05", "05", "23")], ".", False)[0] == "dmy"
    assert choose_date_order([("2", "11", "19")], "/", False)[0] == "mdy"
    assert choose_date_order([("02", "11", "2019")], "/", False)[0] == "dmy"


def test_date_order_override_and_impossible_date_under_it() -> None:
    lines = ["03/04/2020, 10:00 - Ana: hi", "03/04/2020, 10:05 - Bo: hey"]
    assert parse_lines(lines).messages[0].time.month == 4
    assert parse_lines(lines, date_order="mdy").messages[0].time.month == 3
    with pytest.raises(ImportProblem) as raised:
        parse_lines(["25/04/2020, 10:00 - Ana: hi"], source="x.txt", date_order="mdy")
    assert raised.value.where == "line 1"
    assert "25/04/2020" in str(raised.value)


def test_foreign_header_going_back_in_time_is_quoted_text() -> None:
    chat = parse_lines(
        [
            "[17.9.2019, 16:37:47] Peter: first",
            "[1.9.19, 00:00:00] Peter: pasted",
            "[17.9.2019, 16:38:06] Peter: second",
        ]
    )
    assert [m.text for m in chat.messages] == ["first\n[1.9.19, 00:00:00] Peter: pasted", "second"]


def test_zip_export_reads_the_chat_inside(tmp_path: Path) -> None:
    archive = tmp_path / "WhatsApp Chat - Alex.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr(
            "_chat.txt", "[01/02/2020, 10:00:00] Alex: hi\n[01/02/2020, 10:00:05] Me: yo\n"
        )
        zipped.writestr("00000001-PHOTO.jpg", b"\xff\xd8")
    chat = read_whatsapp(archive)
    assert chat.name == "Alex"
    assert chat.source.endswith("!_chat.txt")
    assert chat.me == "Me"
    assert chat.me_source == "chat-name"


def test_file_without_any_header_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("just some notes\nnothing here\n", encoding="utf-8")
    with pytest.raises(ImportProblem) as raised:
        read_whatsapp(path)
    assert raised.value.code == "no-messages"
    assert str(raised.value).startswith(f"{path}, line 1: no WhatsApp message header")


def test_invalid_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "chat.txt"
    path.write_bytes(b"01/02/2020, 10:00 - Ana: hi\n01/02/2020, 10:01 - Bo: caf\xe9\n")
    with pytest.raises(ImportProblem) as raised:
        read_whatsapp(path)
    assert raised.value.where == "line 2"
    assert raised.value.code == "not-utf8"


def test_broken_zip_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "chat.zip"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(ImportProblem) as raised:
        read_whatsapp(path)
    assert raised.value.code in {"bad-zip", "no-messages"}


def test_locale_words_between_date_and_time_and_dotted_times() -> None:
    chat = parse_lines(
        [
            "12.3.2021 klo 14.22 - Aino: moi",
            "13.03.2021 14.25 - Lars: hej",
            "[14/03/2021 à 09:05:00] Zoé: salut",
        ]
    )
    assert [(m.time, m.author) for m in chat.messages] == [
        (datetime(2021, 3, 12, 14, 22), "Aino"),
        (datetime(2021, 3, 13, 14, 25), "Lars"),
        (datetime(2021, 3, 14, 9, 5), "Zoé"),
    ]


def test_poll_and_system_sentence_with_a_colon() -> None:
    chat = parse_lines(
        [
            "01/02/2020, 10:00 - Ana: POLL:",
            "Dinner?",
            "OPTION: Pizza (2 votes)",
            '01/02/2020, 10:05 - Bo changed the subject from "Trip" to "Trip: Rome"',
        ]
    )
    assert chat.messages[0].kind is MessageKind.POLL
    assert chat.messages[1].author is None
    assert chat.messages[1].kind is MessageKind.SYSTEM


def test_utf16_file_with_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "chat.txt"
    path.write_bytes("[01/02/2020, 10:00:00] Ana: olá\r\n".encode("utf-16"))
    chat = read_whatsapp(path)
    assert [(m.author, m.text) for m in chat.messages] == [("Ana", "olá")]
