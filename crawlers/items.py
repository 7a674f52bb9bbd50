"""What a spider yields: one product page as read by the extraction cascade."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from crawlers.extraction import ExtractedProduct


@dataclass(frozen=True)
class ProductItem:
    competitor: str
    url: str
    fetched_at: dt.datetime
    product: ExtractedProduct
