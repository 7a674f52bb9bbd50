"""CSS or XPath: the one rule for reading a selector a user wrote in ``competitors.yaml``.

Pure (pydantic and parsel only): ``competitors.yaml``'s schema holds a
:class:`SelectorSet`, checked with :func:`check_selector`; the crawler's extraction
applies it with :func:`is_xpath`, so both read a selector the same way.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict


def is_xpath(selector: str) -> bool:
    """XPath when it starts with ``/``, ``(`` or ``./``; CSS otherwise."""
    return selector.lstrip().startswith(("/", "(", "./"))


def check_selector(value: str | None) -> str | None:
    """``value`` unchanged when it compiles as the kind :func:`is_xpath` says it is."""
    if value is None:
        return None
    from parsel import Selector

    probe = Selector(text="<html></html>")
    try:
        if is_xpath(value):
            probe.xpath(value)
        else:
            probe.css(value)
    except Exception as exc:  # parsel raises several unrelated types
        raise ValueError(f"invalid selector {value!r}: {exc}") from None
    return value


Selector = Annotated[str | None, AfterValidator(check_selector)]


class SelectorSet(BaseModel):
    """Per-competitor CSS or XPath selectors for pages without structured data."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: Selector = None
    price: Selector = None
    list_price: Selector = None
    currency: Selector = None
    sku: Selector = None
    mpn: Selector = None
    gtin: Selector = None
    brand: Selector = None
    availability: Selector = None
    pack_qty: Selector = None
