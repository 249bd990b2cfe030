"""The main tasks of an operator at 80x24 in a real pty, keys counted: each is
a few keys, and each reaches the database."""

import pytest
from sqlalchemy import create_engine, func, select

from backoffice_tui.store.models import Customer, Event
from tests.tui.pty_session import PtySession

ON_SQLITE = pytest.mark.parametrize("demo_url", ["sqlite"], indirect=True)


class CountedSession:
    """A console of kimura's that counts the keys sent (typed text aside)."""

    def __init__(self, url: str) -> None:
        self.session = PtySession(["--database", url, "--user", "kimura"])
        self.keys = 0
        self.session.wait_for(b"My queue", b"Team load", timeout=30)

    def press(self, key: bytes, then: bytes | None = None) -> None:
        self.keys += 1
        self.send(key, then)

    def type(self, text: str, then: bytes | None = None) -> None:
        self.send(text.encode(), then)

    def send(self, data: bytes, then: bytes | None) -> None:
        self.session.output.clear()
        self.session.send(data)
        if then is not None:
            self.session.wait_for(then, timeout=15)
        self.session.quiet(0.3)

    def quit(self) -> None:
        self.session.send(b"\x11")  # ctrl+q
        self.session.process.wait(15)
        self.session.close()


def _events(url: str, kind: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            query = select(func.count()).where(Event.kind == kind, Event.actor_name == "kimura")
            return int(connection.scalar(query) or 0)
    finally:
        engine.dispose()


def _newest_summary(url: str, customer_code: str) -> str:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            customer = select(Customer.id).where(Customer.code == customer_code)
            query = (
                select(Event.summary)
                .where(Event.customer_id == customer.scalar_subquery())
                .order_by(Event.at.desc(), Event.id.desc())
                .limit(1)
            )
            return str(connection.scalar(query))
    finally:
        engine.dispose()


@ON_SQLITE
def test_approve_three_requests_in_four_keys(demo_url: str) -> None:
    before = _events(demo_url, "approval.approved")
    console = CountedSession(demo_url)
    try:
        console.press(b"3", b"Waiting for me")
        for _ in range(3):
            console.press(b"a", b"approved")
    finally:
        console.quit()  # quitting commits what the undo window holds
    assert console.keys == 4
    assert _events(demo_url, "approval.approved") == before + 3


@ON_SQLITE
def test_find_a_customer_by_kana_and_read_the_newest_event_whole(demo_url: str) -> None:
    console = CountedSession(demo_url)
    try:
        console.press(b"4", b"Customers")
        console.type("やまだ", "株式会社山田製作所".encode())
        console.press(b"\r", b" events")
        newest = _newest_summary(demo_url, "C0001")
        assert len(newest) > 40  # the timeline cuts it at 80 columns
        last_word = newest.split()[-1]  # wrapping never splits a word
        console.press(b"w", last_word.encode())  # the end of it, in the dialog
    finally:
        console.quit()
    assert console.keys == 3


@ON_SQLITE
def test_take_start_and_finish_the_next_item_in_two_keys(demo_url: str) -> None:
    before = _events(demo_url, "work_item.done")
    console = CountedSession(demo_url)
    try:
        console.press(b"N", b"Took and started")
        console.press(b"d", b"Finished work item")
    finally:
        console.quit()
    assert console.keys <= 3
    assert _events(demo_url, "work_item.done") == before + 1
