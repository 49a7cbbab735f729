"""The models of the snacks example (SQLAlchemy 2).

In 1990 Mars renamed the Marathon bar to Snickers in the UK. Rename the model
the same way (the class, ``__tablename__``, the check that names the column)
and let Alembic autogenerate the migration: with seqcheck's plugin enabled in
``migrations/env.py``, it renames the table and every name PostgreSQL derived
from it instead of dropping the table and creating a new, empty one.
"""

from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    """The declarative base; ``Base.metadata`` is what autogenerate compares."""


class Owner(Base):
    """Who makes the bars."""

    __tablename__ = "owner"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str]


class Marathon(Base):
    """A chocolate bar."""

    __tablename__ = "marathon"
    __table_args__ = (CheckConstraint("weight_g > 0"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(unique=True)
    weight_g: Mapped[int | None]
    owner_id: Mapped[int] = mapped_column(ForeignKey("owner.id"), index=True)
