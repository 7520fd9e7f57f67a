"""A page of a long list without counting the list: for the console's newest-first lists
(the outbox, the leads) whose pages only say "newer" and "older".

Django's ``Paginator`` counts every row to know the number of pages; over a million messages
that count costs more than the page. ``window`` reads the page's rows and one more, which is
all "older" needs. The page number comes from the address: anything but a positive number is
the first page (a hand-edited address never fails).
"""

from dataclasses import dataclass

PAGE_MAX = 1_000_000  # beyond it a page number is a typo, not a page


@dataclass(frozen=True)
class Window:
    object_list: list
    number: int
    has_next: bool

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self):
        return len(self.object_list)

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1


def page_number(value) -> int:
    value = str(value or "").strip()
    if not (value.isascii() and value.isdigit()) or len(value) > len(str(PAGE_MAX)):
        return 1
    return min(max(int(value), 1), PAGE_MAX)


def window(rows, page, *, size: int = 50) -> Window:
    """Page ``page`` (from an address) of ``rows``, an ordered queryset, ``size`` a page."""
    number = page_number(page)
    start = (number - 1) * size
    found = list(rows[start : start + size + 1])
    return Window(object_list=found[:size], number=number, has_next=len(found) > size)
