"""Long lists in pages of a fixed size: two queries (a count and one page), whatever the total."""

from dataclasses import dataclass

from flask import request
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session


@dataclass(frozen=True)
class Page:
    items: list
    number: int
    size: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    @property
    def first_index(self) -> int:
        """The 1-based position of the first item on this page (0 when the list is empty)."""
        return (self.number - 1) * self.size + 1 if self.items else 0

    @property
    def last_index(self) -> int:
        return self.first_index + len(self.items) - 1 if self.items else 0


def requested_page() -> int:
    """The ?page= number; anything that is not a positive whole number means the first page."""
    number = request.args.get("page", 1, type=int)
    return number if number and number > 0 else 1


def paginate(db: Session, query: Select, number: int, size: int, rows: bool = False) -> Page:
    """One page of an ordered query; a page past the end shows the last page.

    Items are the query's single entity, or whole rows (tuples) when `rows` is true.
    """
    total = db.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    last = max(1, -(-total // size))
    number = min(max(1, number), last)
    page_query = query.limit(size).offset((number - 1) * size)
    items = list(db.execute(page_query).all()) if rows else list(db.scalars(page_query))
    return Page(items=items, number=number, size=size, total=total)
