"""CSS or XPath: the one rule for reading a selector a user wrote in ``competitors.yaml``.

Pure (parsel only): the config loader checks selectors with it and the crawler's
extraction applies them with it, so both read a selector the same way.
"""

from __future__ import annotations


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
