"""Every documented PARLEY_DATABASE_URL form becomes the ODBC string it stands for."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parley.server.store.mssql_url import (
    BadDatabaseUrl,
    choose_driver,
    odbc_connection_string,
    quote_value,
    redact_connection_string,
)

DRIVER_18 = "ODBC Driver 18 for SQL Server"


def test_url_with_driver_18_names_server_port_database_and_login() -> None:
    text = odbc_connection_string(
        "mssql://parley:s3cret@db.example.org:14330/chat?TrustServerCertificate=yes",
        installed_drivers=[DRIVER_18, "FreeTDS"],
    )
    assert text == (
        "DRIVER={ODBC Driver 18 for SQL Server};SERVER=tcp:db.example.org,14330;"
        "DATABASE=chat;UID=parley;PWD=s3cret;TrustServerCertificate=yes"
    )


def test_default_port_is_1433_and_the_odbc_schemes_are_aliases() -> None:
    plain = odbc_connection_string("mssql://u:p@h/d", installed_drivers=[DRIVER_18])
    for scheme in ("mssql+odbc", "mssql+pyodbc"):
        assert odbc_connection_string(f"{scheme}://u:p@h/d", installed_drivers=[DRIVER_18]) == plain
    assert "SERVER=tcp:h,1433" in plain


def test_freetds_gets_a_separate_port_tds_74_and_utf8() -> None:
    text = odbc_connection_string(
        "mssql://u:p@sql1:1433/parley?driver=FreeTDS", installed_drivers=[DRIVER_18]
    )
    assert text == (
        "DRIVER=FreeTDS;SERVER=sql1;PORT=1433;DATABASE=parley;UID=u;PWD=p;"
        "TDS_Version=7.4;ClientCharset=UTF-8"
    )


def test_driver_choice_prefers_microsofts_newest_then_freetds() -> None:
    assert choose_driver(["FreeTDS", "ODBC Driver 17 for SQL Server", DRIVER_18]) == DRIVER_18
    assert choose_driver(["FreeTDS", "ODBC Driver 17 for SQL Server"]).endswith("17 for SQL Server")
    assert choose_driver(["FreeTDS"]) == "FreeTDS"
    assert choose_driver([]) == DRIVER_18  # the error then names what to install


def test_passwords_with_odbc_specials_are_braced_and_percent_decoded() -> None:
    text = odbc_connection_string(
        "mssql://u:p%3Bw%7Dd@h/d", installed_drivers=[DRIVER_18]
    )  # the password is p;w}d
    assert "PWD={p;w}}d}" in text


def test_dsn_forms() -> None:
    assert odbc_connection_string("odbc://u:p@ParleyProd") == "DSN=ParleyProd;UID=u;PWD=p"
    assert (
        odbc_connection_string("mssql://u:p@/chat?dsn=ParleyProd")
        == "DSN=ParleyProd;DATABASE=chat;UID=u;PWD=p"
    )


def test_raw_odbc_strings_and_odbc_connect_pass_through_unchanged() -> None:
    raw = "DRIVER={ODBC Driver 18 for SQL Server};SERVER=tcp:h,1433;Trusted_Connection=yes"
    assert odbc_connection_string(raw) == raw
    assert odbc_connection_string("  DSN=Parley;UID=u  ") == "DSN=Parley;UID=u"
    encoded = "mssql+odbc:///?odbc_connect=DRIVER%3DFreeTDS%3BSERVER%3Dh%3BPORT%3D1433"
    assert odbc_connection_string(encoded) == "DRIVER=FreeTDS;SERVER=h;PORT=1433"


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("mssql:///chat", "names no server"),
        ("mssql://u:p@h:port/chat", "not a number"),
        ("postgres://u@h/db", "not a SQL Server URL"),
        ("just some text", "looks like mssql://"),
        ("odbc://", "needs a data source"),
    ],
)
def test_bad_urls_are_refused_with_a_sentence(url: str, says: str) -> None:
    with pytest.raises(BadDatabaseUrl, match=says):
        odbc_connection_string(url, installed_drivers=[DRIVER_18])


def test_bad_url_messages_never_show_the_password() -> None:
    with pytest.raises(BadDatabaseUrl) as refused:
        odbc_connection_string("mssql://u:hunter2@h:x/chat")
    assert "hunter2" not in str(refused.value)


def test_connection_strings_are_redacted_for_logs() -> None:
    assert (
        redact_connection_string("DRIVER=x;UID=u;PWD={a;b}};c};Encrypt=yes")
        == "DRIVER=x;UID=u;PWD=***;Encrypt=yes"
    )
    assert redact_connection_string("Password=abc;X=1") == "Password=***;X=1"


def test_quote_value_leaves_plain_values_alone() -> None:
    assert quote_value("chat_db") == "chat_db"
    assert quote_value("has space") == "{has space}"


@given(
    user=st.text(min_size=1, max_size=20).filter(lambda t: t.strip() == t),
    password=st.text(min_size=1, max_size=30).filter(lambda t: t.strip() == t),
)
def test_any_login_survives_the_trip_from_url_to_odbc_string(user: str, password: str) -> None:
    url = f"mssql://{quote(user, safe='')}:{quote(password, safe='')}@h:1433/d"
    text = odbc_connection_string(url, installed_drivers=[DRIVER_18])
    assert f";UID={quote_value(user)};PWD={quote_value(password)}" in text
    assert text.endswith(f"PWD={quote_value(password)}")
