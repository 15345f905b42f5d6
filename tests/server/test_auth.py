"""Password policy and token handling, without a server."""

from __future__ import annotations

import pytest

from parley.server.auth import check_password_policy, token_hash, validate_username
from parley.shared.errors import ErrorCode, ParleyError


@pytest.mark.parametrize(
    "password", ["short", "aaaaaaaaaaaaaaa", "abababababab", "xx-ada-xx-1", "x" * 300]
)
def test_weak_passwords_are_refused(password: str) -> None:
    with pytest.raises(ParleyError) as caught:
        check_password_policy(password, username="Ada")
    assert caught.value.code is ErrorCode.WEAK_PASSWORD


def test_a_reasonable_password_passes() -> None:
    check_password_policy("correct horse battery", username="ada")


@pytest.mark.parametrize("name", ["ab", "-ada", "ada smith", "a" * 33, "ädä", ""])
def test_bad_usernames(name: str) -> None:
    with pytest.raises(ParleyError) as caught:
        validate_username(name)
    assert caught.value.code is ErrorCode.INVALID_FIELD


def test_tokens_are_stored_as_sha256() -> None:
    assert token_hash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
