"""Shared pieces of the pipeline tests: a real SQLite store, users, a rules-only engine.

Not a conftest (that file belongs to the engine's tests): test modules import these.
The engine is the real :class:`Moderator` with tier 2 scoring zero, so decisions come
from the shipped tier 1 rules plus the test's own rules file; the trained model is
exercised once, in test_worker_model.py.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from parley.server.moderation.automations import RuleSet
from parley.server.moderation.decision import Moderator
from parley.server.moderation.settings import ModerationSettings
from parley.server.moderation.worker import RulesOnlyModel
from parley.server.store.sqlite import SqliteStore
from parley.shared.models import Role, User

RULES = """
[categories.threat]
action = "remove"
score = 0.99
words = ["kaboom"]
"""

PROFANE = "what the fuck is this"  # shipped rule: profanity, flag (visible with a warning)
HATEFUL = "you retard"  # shipped rule: hate, review (hidden, high priority)
REMOVED = "kaboom to you"  # the test rules: threat, remove
CLEAN = "see you at lunch tomorrow"


def rules_moderator(tmp_path: Path) -> Moderator:
    path = tmp_path / "rules.toml"
    path.write_text(RULES)
    settings = ModerationSettings(rules_file=path)
    return Moderator(RulesOnlyModel(), RuleSet(path), settings)


async def make_user(store: SqliteStore, name: str, role: Role = Role.USER) -> User:
    return await store.create_user(
        username=name, display_name=name.title(), password_hash="x", role=role
    )


async def send(
    store: SqliteStore, sender: User, receiver: User, text: str, *, premoderate: bool = False
) -> int:
    outcome = await store.send_message(
        sender_id=sender.id,
        receiver_id=receiver.id,
        text=text,
        sent_at=datetime.now(UTC),
        premoderate_first=premoderate,
        client_message_id=f"{sender.id}-{text}-{datetime.now(UTC).timestamp()}",
    )
    return outcome.result.message.id
