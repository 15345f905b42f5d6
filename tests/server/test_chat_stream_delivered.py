"""A chat stream pushes each event once, whatever order and however often it arrives."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from parley.server.chat_stream import MAX_HELD_ABOVE_GAP, Delivered


def test_a_lower_sequence_after_a_higher_one_still_goes_out_once() -> None:
    delivered = Delivered()

    assert delivered.add(2)  # this process's own event
    assert delivered.add(1)  # another process's earlier one, read by the tail later
    assert not delivered.add(2)  # the tail reading back this process's event
    assert not delivered.add(1)
    assert delivered.floor == 2


def test_a_resumed_stream_does_not_push_what_the_client_had() -> None:
    delivered = Delivered(10)

    assert not delivered.add(10)
    assert delivered.add(11)


def test_a_gap_that_never_fills_is_given_up_after_a_bounded_wait() -> None:
    delivered = Delivered()
    for seq in range(2, MAX_HELD_ABOVE_GAP + 3):
        assert delivered.add(seq)

    assert delivered.floor == MAX_HELD_ABOVE_GAP + 2  # 1 is taken as lost
    assert not delivered.add(1)
    assert delivered.add(MAX_HELD_ABOVE_GAP + 3)


@given(st.lists(st.integers(min_value=1, max_value=60), max_size=200))
def test_each_sequence_number_is_accepted_exactly_once(arrivals: list[int]) -> None:
    delivered = Delivered()

    accepted = [seq for seq in arrivals if delivered.add(seq)]

    assert sorted(accepted) == sorted(set(arrivals))
    missing = set(range(1, max(arrivals, default=0) + 1)) - set(arrivals)
    assert delivered.floor == (min(missing) - 1 if missing else max(arrivals, default=0))
