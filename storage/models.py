"""Typed ORM models. Every row carries its workspace: enterprise ID ('' outside Enterprise Grid) and team ID."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

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
    safeguards: Mapped[list[str]] = mapped_column(JSON, default=list)
    visibility: Mapped[str] = mapped_column(String(16))
    source_link: Mapped[str | None] = mapped_column(String(1000))
    # The Slack view or trigger that created the entry: a retried or double-clicked submit
    # finds the first entry instead of creating a second one.
    request_key: Mapped[str | None] = mapped_column(String(64))
    shared_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

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
    )


class ActionItem(Base):
    __tablename__ = "action_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

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
    updated_by: Mapped[str | None] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
