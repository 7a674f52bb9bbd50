"""What one extraction method found on a page: field values, the raw price text and
the method's name. The cascade in :mod:`crawlers.extraction.product` merges these."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

FIELDS = (
    "title",
    "price",
    "currency",
    "list_price",
    "sku",
    "mpn",
    "gtin",
    "brand",
    "availability",
    "pack_qty",
)

Value = str | Decimal | int


@dataclass
class Found:
    """Values one method read; a field it did not find is absent, never None."""

    method: str
    values: dict[str, Value] = field(default_factory=dict)
    price_text: str | None = None

    def set(self, name: str, value: Value | None) -> None:
        if value is not None and value != "" and name not in self.values:
            self.values[name] = value

    def get(self, name: str) -> Value | None:
        return self.values.get(name)

    def amount(self, name: str = "price") -> Decimal | None:
        value = self.values.get(name)
        return value if isinstance(value, Decimal) else None

    def __bool__(self) -> bool:
        return bool(self.values)
