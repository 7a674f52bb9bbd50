"""Availability as a schema.org ItemAvailability short name.

Structured values arrive as URLs (``https://schema.org/InStock``), CURIEs
(``schema:InStock``), feed words (``in stock``, ``oos``, ``instock``) or the old
data-vocabulary names (``in_stock``). Visible text arrives in many languages; out of
stock phrases are tested before in-stock ones, so "not in stock" never reads as
"in stock".
"""

from __future__ import annotations

import re

SCHEMA_NAMES = (
    "InStock",
    "OutOfStock",
    "PreOrder",
    "PreSale",
    "BackOrder",
    "Discontinued",
    "LimitedAvailability",
    "InStoreOnly",
    "OnlineOnly",
    "SoldOut",
    "MadeToOrder",
)
_BY_KEY = {name.lower(): name for name in SCHEMA_NAMES}
_BY_KEY.update(
    {
        "instock": "InStock",
        "available": "InStock",
        "availablefororder": "InStock",
        "true": "InStock",
        "yes": "InStock",
        "1": "InStock",
        "outofstock": "OutOfStock",
        "oos": "OutOfStock",
        "unavailable": "OutOfStock",
        "notavailable": "OutOfStock",
        "false": "OutOfStock",
        "no": "OutOfStock",
        "0": "OutOfStock",
        "preorder": "PreOrder",
        "presale": "PreOrder",
        "pending": "PreOrder",
        "backorder": "BackOrder",
        "backordered": "BackOrder",
        "discontinued": "Discontinued",
        "limitedavailability": "LimitedAvailability",
        "soldout": "SoldOut",
        "madetoorder": "InStock",
    }
)

# Phrases in the order they are tried; each pattern is matched on lowercased text.
_TEXT_RULES: tuple[tuple[str, str], ...] = (
    (
        r"notify me when (?:it'?s )?(?:back|available)|email me when (?:back|available)"
        r"|back in stock soon|benachrichtig|m'avertir|me prévenir|avisez-moi",
        "OutOfStock",
    ),
    (
        r"discontinued|no longer (?:available|sold|stocked)"
        r"|nicht mehr (?:lieferbar|verfügbar|erhältlich)"
        r"|auslaufartikel|plus (?:disponible|fabriqué)|fuera de catálogo|fuori produzione",
        "Discontinued",
    ),
    (
        r"pre-?order|vorbestell|précommande|pré-commande|preventa|reserva ya|in prevendita",
        "PreOrder",
    ),
    (
        r"back-?order|rückstand|en réapprovisionnement|bajo pedido"
        # special order: not stocked, ordered in from the supplier for you
        r"|special[- ]order|order-?in item|ships from (?:the )?(?:supplier|manufacturer)"
        r"|auf bestellung|bestellartikel|sur commande|na zamówienie|na objednávku"
        r"|su ordinazione|op bestelling|取り寄せ|取寄せ",
        "BackOrder",
    ),
    (
        r"out[ -]of[ -]stock|sold[ -]out|not (?:currently )?(?:in stock|available)"
        r"|currently unavailable|temporarily unavailable|\bunavailable\b|no stock|none in stock"
        r"|(?<!\d)0 (?:available|in stock|left)"
        r"|nicht (?:auf lager|vorrätig|lieferbar|verfügbar|mehr auf lager)|ausverkauft|vergriffen"
        r"|derzeit nicht|zurzeit nicht|momentan nicht"
        r"|rupture|épuisé|indisponible|non disponible|pas en stock"
        r"|agotado|sin stock|sin existencias|no disponible|esaurito|non disponibile"
        r"|uitverkocht|niet (?:op voorraad|leverbaar|beschikbaar)|tijdelijk uitverkocht"
        r"|brak (?:w magazynie|towaru)|niedostępny|wyprzedan"
        r"|slutsåld|ej i lager|ikke på lager|udsolgt|utsolgt|ei varastossa|loppuunmyyty"
        r"|tilapäisesti loppu|loppu varastosta|tillfälligt slut|midlertidigt udsolgt"
        r"|není skladem|vyprodáno|esgotado|indisponível"
        r"|在庫切れ|在庫なし|売り切れ|品切れ|缺货|无货|售罄|缺貨|售完|품절|재고\s*없음"
        r"|нет в наличии|отсутствует на складе|нет на складе|распродан"
        r"|немає в наявності|tükendi|stokta yok|stok yok|tükenmiştir"
        r"|εξαντλήθηκε|μη διαθέσιμο|nincs készleten|elfogyott|stoc epuizat|nu este [iî]n stoc"
        r"|rasprodano|nema na (?:stanju|zalihi)|nedostupn|vypredané|nie je skladom",
        "OutOfStock",
    ),
    (
        r"\bin[ -]stock\b|\binstock\b|ready to ship|ships (?:today|tomorrow|in \d)|only \d+ left"
        r"|\d+ (?:available|in stock)"
        r"|available (?:now|to ship|for (?:immediate )?(?:shipping|delivery))"
        r"|auf lager|lagernd|sofort (?:lieferbar|verfügbar|versandfertig)|lieferbar|vorrätig"
        r"|en stock|disponible|expédié sous|en existencia|in magazzino|disponibile|pronta consegna"
        r"|disponibilit[àa] immediata|immediately available|available immediately"
        r"|op voorraad|leverbaar|direct leverbaar|na stanie|dostępny|\bi lager\b|på lager"
        r"|varastossa"
        r"|skladem|em estoque|disponível|在庫あり|有货|现货|재고\s*있음|구매\s*가능"
        r"|в наличии|есть на складе|в наявності|stokta(?: var|\b)|hemen kargo"
        r"|άμεσα διαθέσιμο|σε απόθεμα|raktáron|készleten|[iî]n stoc|na stanju|na zalihi"
        r"|na sklade",
        "InStock",
    ),
)
_COMPILED = tuple((re.compile(pattern), name) for pattern, name in _TEXT_RULES)
# A bare "available"/"verfügbar" reads as in stock only in an element that is about stock.
_LOOSE_IN_STOCK = re.compile(r"\bavailable\b|verfügbar|beschikbaar|\bavailability: yes\b")


def normalize_availability(value: object) -> str | None:
    """A schema.org short name for a structured availability value, else None."""
    if isinstance(value, bool):
        return "InStock" if value else "OutOfStock"
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("@id") or value.get("@value") or value.get("name")
    if not isinstance(value, str):
        return None
    raw = value.strip()
    tail = re.split(r"[/#:]", raw.rstrip("/"))[-1] if raw else ""
    key = re.sub(r"[\s_\-]", "", tail).lower()
    if key in _BY_KEY:
        name = _BY_KEY[key]
        return "PreOrder" if name == "PreSale" else name
    return availability_from_text(raw)


def availability_from_text(text: str | None, *, stock_context: bool = False) -> str | None:
    """Availability from a visible phrase ("Auf Lager", "Rupture de stock", "Sold out").

    ``stock_context`` says the text comes from an element about stock, so a bare
    "available" counts as in stock.
    """
    if not text:
        return None
    lowered = " ".join(text.lower().split())[:400]
    for pattern, name in _COMPILED:
        if pattern.search(lowered):
            return name
    if stock_context and _LOOSE_IN_STOCK.search(lowered):
        return "InStock"
    return None
