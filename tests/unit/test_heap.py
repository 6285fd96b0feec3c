"""The heap keeper: survivors of a batch leave the collector's sight; a full collection still
frees cyclic garbage, when idle or after at most ``full_every_s``."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from runtime.heap import Heap


class Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the collector can free it


@pytest.fixture(autouse=True)
def unfrozen() -> Iterator[None]:
    yield
    gc.unfreeze()


def test_after_a_batch_survivors_are_not_scanned_but_a_full_collection_frees_them() -> None:
    heap = Heap(idle_every_s=0, full_every_s=3600)
    node = Node()
    gone = weakref.ref(node)
    heap.after_batch()
    assert gc.get_freeze_count() > 0
    del node
    gc.collect()  # what the interpreter would do on its own: frozen objects are not scanned
    assert gone() is not None
    heap.idle()  # idle, and the idle interval has passed: a full collection
    assert gone() is None


def test_under_load_a_full_collection_still_comes_after_full_every_s() -> None:
    heap = Heap(idle_every_s=3600, full_every_s=3600)
    node = Node()
    gone = weakref.ref(node)
    heap.after_batch()
    del node
    heap.idle()  # not idle long enough
    assert gone() is not None
    heap.full_every_s = 0
    heap.after_batch()
    assert gone() is None
