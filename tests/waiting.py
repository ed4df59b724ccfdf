"""Waiting in Pilot tests: on a condition, bounded, failing with a message."""

from __future__ import annotations

from collections.abc import Callable

#: How many rounds (each: the workers finish, the app handles what they posted).
ROUNDS = 200


async def wait_until(pilot, condition: Callable[[], object], what: str, *, rounds: int = ROUNDS) -> None:
    """Let the app run until ``condition()`` is true; fail saying ``what``
    never happened instead of hanging or guessing a delay."""
    for _ in range(rounds):
        if condition():
            return
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
    if not condition():
        raise AssertionError(f"Waited {rounds} rounds and still not: {what}")
