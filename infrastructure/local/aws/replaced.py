"""One way for the emulator's rules to replace a piece of moto for as long as they are active, and restore it exactly
afterwards: an attribute the class defined itself is put back, one it inherited is removed again (so the parent's
shows through, as before)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def replaced(owner: type, name: str, value: Any) -> Iterator[None]:
    """``owner.name`` is ``value`` until the block ends."""
    own = vars(owner)
    had, original = name in own, own.get(name)
    setattr(owner, name, value)
    try:
        yield
    finally:
        if had:
            setattr(owner, name, original)
        else:
            delattr(owner, name)
