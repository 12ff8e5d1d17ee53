"""Typed ORM models. Every row carries its workspace: enterprise ID ('' outside Enterprise Grid) and team ID."""

from __future__ import annotations

from datetime import UTC, date, datetime

from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from storage.tokens import TOKEN_COLUMNS

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Timestamps stored in UTC and always read back tz-aware (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            value = value.astimezone(UTC)
            if dialect.name == "sqlite":
                value = value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        # SQLite gives naive UTC; PostgreSQL gives the session's time zone.
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Entry(Base):
    """One recorded failure, its lesson and what we will do about it."""

    __tablename__ = "entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[str] = mapped_column(String(32), default="")
    team_id: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(32))
    what_happened: Mapped[str] = mapped_column(Text)
    lesson: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(32))
    happened_on: Mapped[date]
    # False for an entry imported with only its year: dated 1 January, shown and counted by its year alone.
    day_known: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # The section of an imported resume it was listed under ("Top DS failures"), as the person wrote
    # it, when the category is not that section's own name.
    section: Mapped[str | None] = mapped_column(Text)
    safeguards: Mapped[list[str]] = mapped_column(JSON, default=list)
    visibility: Mapped[str] = mapped_column(String(16))
    source_link: Mapped[str | None] = mapped_column(String(1000))
    # The team digest that carried this shared entry: each one appears in exactly one digest.
    digest_id: Mapped[int | None] = mapped_column(ForeignKey("digests.id", ondelete="SET NULL"))
    # The Slack view or trigger that created the entry: a retried or double-clicked submit
    # finds the first entry instead of creating a second one.
    request_key: Mapped[str | None] = mapped_column(String(64))
    shared_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    # What the entry means, as the sentence encoder of bot/domain/meaning.py read its words: 512 numbers
    # as float16 bytes, stored by a worker after the save, and None until then and again once its words
    # change. Read only by the similarity index (deferred: no other read loads it).
    meaning: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    # The model that made it: a vector of another model is made again.
    meaning_model: Mapped[str | None] = mapped_column(String(32))

    action_items: Mapped[list[ActionItem]] = relationship(
        back_populates="entry",
        cascade="all, delete-orphan",
        order_by="ActionItem.position",
        lazy="selectin",
    )

    __table_args__ = (
        UniqueConstraint("enterprise_id", "team_id", "request_key", name="uq_entries_request_key"),
        Index("ix_entries_owner", "enterprise_id", "team_id", "user_id", "happened_on"),
        Index("ix_entries_shared", "enterprise_id", "team_id", "visibility", "shared_at"),
        # What changed since the similarity index last looked.
        Index("ix_entries_changed", "enterprise_id", "team_id", "updated_at"),
        # The entries whose meaning is still to be made.
        Index("ix_entries_meaning_model", "meaning_model"),
    )


class ActionItem(Base):
    """What we will do so that the same mistake never happens twice, tracked until it is done."""

    __tablename__ = "action_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    # Who does it: the entry's author unless they gave it to a teammate (named entries only).
    owner_id: Mapped[str] = mapped_column(String(32))
    due_on: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(16), default="open", server_default="open")  # open, done, dropped
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Asked once, 30 days after it was done: did it help? (yes, not_yet, no)
    helped: Mapped[str | None] = mapped_column(String(16))
    helped_asked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Its issue in the workspace's tracker (bot/trackers): asked for once (the claim, with a random
    # reference the issue's body carries, so a retry finds an issue a cut-off attempt made), then made.
    issue_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    issue_ref: Mapped[str | None] = mapped_column(String(32))
    issue_tries: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    issue_tracker: Mapped[str | None] = mapped_column(String(16))  # github, jira, linear
    # How the tracker's webhooks name it: "owner/repo#12", "<site host>/PROJ-12", a Linear issue id.
    issue_key: Mapped[str | None] = mapped_column(String(300))
    issue_url: Mapped[str | None] = mapped_column(String(500))
    issue_label: Mapped[str | None] = mapped_column(String(64))  # what people see: "#12", "PROJ-12", "ENG-3"
    # Done because its issue was closed (so its issue reopened opens it again); a person's Done is theirs.
    done_by_issue: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    __table_args__ = (
        Index("ix_action_items_owner", "owner_id", "status"),
        Index("ix_action_items_issue", "issue_tracker", "issue_key"),
    )

    entry: Mapped[Entry] = relationship(back_populates="action_items")


class WorkspaceSettings(Base):
    __tablename__ = "workspace_settings"

    enterprise_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    retro_channel: Mapped[str | None] = mapped_column(String(32))
    digest_cadence: Mapped[str] = mapped_column(String(16), default="monthly")
    # 0 means "the first working day of the month"; 1-28 a fixed day.
    prompt_day: Mapped[int] = mapped_column(Integer, default=0)
    default_visibility: Mapped[str] = mapped_column(String(16), default="private")
    # Anonymous entries wait until this many different people share anonymously in one digest.
    anonymity_crowd: Mapped[int] = mapped_column(Integer, default=3, server_default="3")
    # Whether guests (single- and multi-channel) get the monthly reflection prompt.
    prompt_guests: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # What the bot speaks in the retro channel, and to a person whose own language it doesn't know.
    language: Mapped[str] = mapped_column(String(8), default="en", server_default="en")
    updated_by: Mapped[str | None] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class LessonsCanvas(Base):
    """The retro channel's canvas of the team's lessons, rewritten after each digest, or why there is none."""

    __tablename__ = "lessons_canvases"

    enterprise_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    canvas_id: Mapped[str | None] = mapped_column(String(32))
    channel: Mapped[str | None] = mapped_column(String(32))
    # Why the last rewrite made no canvas ("no_scope", "no_canvases"); None while the canvas is kept.
    problem: Mapped[str | None] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class InWorkspace:
    """The two tenancy columns of a workspace's row (see storage.types.Workspace)."""

    enterprise_id: Mapped[str] = mapped_column(String(32))
    team_id: Mapped[str] = mapped_column(String(32))


class TrackerConnection(InWorkspace, Base):
    """Where a workspace's action items become issues: one tracker per workspace, its secrets sealed
    (storage/tokens.py) and never shown again."""

    __tablename__ = "tracker_connections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # github, jira, linear
    # GitHub's "owner/repo", Jira's project key, Linear's team key.
    target: Mapped[str] = mapped_column(String(200))
    site: Mapped[str | None] = mapped_column(String(300))  # Jira's site, "https://acme.atlassian.net"
    account: Mapped[str | None] = mapped_column(String(254))  # the Jira account's email
    secret: Mapped[str] = mapped_column(Text)
    webhook_secret: Mapped[str | None] = mapped_column(Text)
    connected_by: Mapped[str] = mapped_column(String(32))
    connected_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # What the tracker answered the last check, when it refused ("bad_credentials", "not_found").
    problem: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (UniqueConstraint("enterprise_id", "team_id"),)


class Digest(InWorkspace, Base):
    """One team digest posted to a retro channel."""

    __tablename__ = "digests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    message_ts: Mapped[str | None] = mapped_column(String(32))


class Delivery(InWorkspace, Base):
    """The ledger of scheduled messages: one row per recipient, kind and period, claimed before sending."""

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recipient: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(32))
    period: Mapped[str] = mapped_column(String(16))
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("enterprise_id", "team_id", "recipient", "kind", "period", name="uq_deliveries_once"),
    )


class SchedulerLease(Base):
    """Which scheduler process may act: held while renewed, taken over once it expires."""

    __tablename__ = "scheduler_leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Acknowledgement(Base):
    """A teammate's "Nice job" on an entry in a digest: one per teammate per entry."""

    __tablename__ = "acknowledgements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (UniqueConstraint("entry_id", "user_id", name="uq_acknowledgements_once"),)


class Person(Base):
    """A person's own choices: the monthly reflection prompt, and the language the bot speaks to them."""

    __tablename__ = "people"

    enterprise_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    prompts_stopped: Mapped[bool] = mapped_column(Boolean, default=False)
    snoozed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Chosen in the App Home; None follows Slack's own locale for them, last seen as slack_locale.
    language: Mapped[str | None] = mapped_column(String(8))
    slack_locale: Mapped[str | None] = mapped_column(String(16))
    # When they last opened the App Home: a record made elsewhere refreshes it only while they may be looking.
    home_opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class FollowUp(InWorkspace, Base):
    """The outbox: work an ack promised (a Nice job, an answer, an export), written in the same
    transaction as the change itself and removed only once the work is done. A relay hands each row
    to the task queue under a lease; a row whose worker died is handed again once its lease ends."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task: Mapped[str] = mapped_column(String(32))
    arguments: Mapped[dict] = mapped_column(JSON)
    # Higher first: what a person is waiting for goes before background work.
    priority: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Handed to the queue (or running) until then; None: not handed yet.
    leased_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    # Which hand-off may run it: a copy left on the queue from an earlier lease finds a newer number.
    lease: Mapped[int] = mapped_column(Integer, default=0)
    # Messages already claimed for sending by earlier runs: a run again never shows them twice.
    sends: Mapped[int] = mapped_column(Integer, default=0)


class PendingImport(InWorkspace, Base):
    """A Markdown resume waiting for its owner's yes after the preview. Its text is deleted once it
    is imported or cancelled, and after a day (bot.domain.retention)."""

    __tablename__ = "pending_imports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending, imported, cancelled
    # The year its owner picked in the preview for the entries the file gives none.
    year: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class Uninstall(Base):
    """A workspace that removed the app: its data is deleted once the grace period ends, unless it comes back."""

    __tablename__ = "uninstalls"

    enterprise_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    uninstalled_at: Mapped[datetime] = mapped_column(UTCDateTime())
    purge_after: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class ProcessedEvent(Base):
    """Events API deliveries already handled: Slack retries an event it thinks we missed."""

    __tablename__ = "processed_events"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


# The installation and OAuth state stores of slack_sdk, described on our metadata so that our
# migrations create them like every other table (the stores' own create_tables is never used).
SQLAlchemyInstallationStore.build_installations_table(
    Base.metadata, SQLAlchemyInstallationStore.default_installations_table_name
)
SQLAlchemyInstallationStore.build_bots_table(Base.metadata, SQLAlchemyInstallationStore.default_bots_table_name)
# A sealed token (storage/tokens.py) is longer than the token: Text, not slack_sdk's String(200).
for _table, _columns in TOKEN_COLUMNS.items():
    for _column in _columns:
        Base.metadata.tables[_table].c[_column].type = Text()
SQLAlchemyOAuthStateStore.build_oauth_states_table(Base.metadata, SQLAlchemyOAuthStateStore.default_table_name)
