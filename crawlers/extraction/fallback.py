"""The visible-page fallback: the main product's price as a shopper reads it.

Candidates are short text blocks that look like money: a number with a currency sign,
or a number in an element whose class says "price". A candidate loses when it is
struck through (that is the list price), sits in a related-products shelf, a listing
card or page chrome, or reads as something other than the price to pay: free-shipping
thresholds, savings, instalments, prices per 100 g. Among the rest the one nearest
after the product's heading, with the strongest "price" and "sale" hints, wins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from crawlers.extraction.dom import Block, Layout, ancestor_texts
from crawlers.extraction.fields import Found
from crawlers.extraction.prices import ParsedPrice, count_numbers, read_price
from crawlers.extraction.tax import basis_of_class, basis_of_text, plausible_pair

MAX_PRICE_BLOCK = 60

PRICE_HINT = re.compile(
    r"price|preis|prix|precio|prezzo|prijs|cena|pris|hinta|amount|betrag|money|cost|fiyat|"
    r"preco|preço|tsena",
    re.I,
)
SALE_HINT = re.compile(
    r"sale|special|final|current|\bnow\b|offer|actual|promo|deal|selling|our-?price|reduced|"
    r"new-?price|price-?new|discounted|finalprice|\bins\b",
    re.IGNORECASE,
)
UNIT_HINT = re.compile(
    r"unit[-_]?price|price[-_]*(?:per|unit)|base[-_]?price|baseprice|grundpreis|"
    r"reference[-_]?price|price[-_]?reference|per[-_]?unit|shipping|installment",
    re.IGNORECASE,
)
_WITH_DISCOUNT = re.compile(r"\b(?:has|with|is|on)-(?:discount|saving)\w*", re.IGNORECASE)
# "-20 %", "inkl. 19% MwSt.": percentages next to a price are not money.
_PERCENT = re.compile(r"[-–]?\s*\d+(?:[.,]\d+)?\s*%")
# Pieces of a split price ("19." and "99" in separate spans): the whole is read instead.
PRICE_PART = re.compile(r"whole|fraction|decimal|cents|integer|symbol|currency", re.I)
SAVING_HINT = re.compile(
    r"sav(?:e|ing)|discount(?!ed)|rabatt|ersparnis|you-?save|percent|indirim|desconto|sconto|"
    r"descuento|ekonom|skidk",
    re.I,
)
CURRENCY_MARK = re.compile(
    r"[$€£¥￥₹₽₩₪฿₫₱₴₺]|\b(?:USD|EUR|GBP|CHF|CAD|AUD|NZD|JPY|CNY|PLN|SEK|NOK|DKK|CZK|HUF|RON|"
    r"BGN|TRY|INR|BRL|MXN|ZAR|SGD|HKD|KRW|Kč|Ft|kr|zł|lei|руб|Rs|Fr)\b|zł|円|元|원|,-|:-|"
    r"(?:(?<=\d)|(?<=\d ))TL\b",
    re.IGNORECASE,
)
# Text around a number that says it is not the price to pay.
NOT_A_PRICE = re.compile(
    r"shipping|delivery|versand|lieferung|livraison|envío|envio|spedizione|verzending|"
    r"bezorg|dostaw|frakt|porto|"
    r"per month|/\s*mo\b|/\s*month|monthly|payments? of|instal?ments?|interest|klarna|"
    r"afterpay|affirm|sezzle|zip pay|raten|monatlich|mensualit|\bfois\b|cuotas|\brate\b|"
    r"\bsave\b|you save|saving|sparen|ersparnis|économ|ahorra|risparmi|bespaar|oszczęd|"
    r"\boff\b|rabatt|discount|cashback|reward|points|gift card|gutschein|coupon|"
    r"\bover\b|\babove\b|orders? from|bestellwert|einkaufswert|ab einem|"
    r"\bmin(?:imum)?\b|spend|"
    # the same in other languages: savings, instalments, credit, loyalty points
    r"эконом|выгод|скидк|кредит|рассрочк|/\s*мес|"
    r"indirim|taksit|kazan[cç]|desconto|economi[az]|\bparcelas?\b|\bjuros\b|"
    r"spara\b|sparar|besparing|\bbesparelse|säästä|"
    r"적립금",
    re.IGNORECASE,
)
PER_MEASURE = re.compile(
    r"(?:/|\bper\b|\bpro\b|\bje\b|\bpar\b|\bal\b|\bpor\b)\s*(?:\d+[.,]?\d*\s*)?"
    r"(?:g|gr|kg|mg|ml|cl|dl|l|ltr|liter|litre|m|m2|m²|m3|lb|lbs|oz|fl\.? ?oz|ft|sq ?ft)\b|"
    r"grundpreis|unit price|prix au|precio por|prezzo al|\(\s*\d+[.,]?\d*\s*(?:g|kg|ml|l|m)\s*=",
    re.IGNORECASE,
)
OLD_LABEL_END = re.compile(
    r"\b(?:was|rrp|uvp|msrp|srp|list(?:\s*price)?|reg(?:ular)?\.?(?:\s*price)?|retail(?: price)?|"
    r"compare at|originally|statt|vorher|bisher|unverbindliche preisempfehlung|au lieu de|"
    r"prix barré|prix conseillé|antes|prima|voorheen|adviesprijs|tidigare|"
    r"старая цена|было|piyasa fiyat[ıi]|eski fiyat|liste fiyat[ıi]|"
    r"preço de|de\s*:)\s*[:.]?\s*$|"
    r"(?:소비자가|정가|通常価格|定価|参考価格|希望小売価格)\s*[:：]?\s*$",
    re.IGNORECASE,
)
SALE_LABEL_END = re.compile(
    r"\b(?:sale(?: price)?|now|our price|your price|special price|offer price|price|preis|"
    r"angebot|jetzt|nur|prix|precio|prezzo|prijs|cena)\s*[:.]?\s*$",
    re.IGNORECASE,
)
NEAR_LIST_PRICE = 40
# Below this the best candidate is a guess (far from the heading, in a card or an
# aside, with no price hint), and no price beats a wrong one.
MIN_SCORE = -1.0
WINDOW_BEFORE = 1500
WINDOW_AFTER = 3000
# A label in front of the number that makes it the old or list price.
OLD_LABEL = re.compile(
    r"^\W*(?:was|rrp|uvp|msrp|srp|list(?:\s*price)?|reg(?:ular)?\.?(?:\s*price)?|retail|"
    r"compare at|originally|statt|vorher|bisher|unverbindliche|au lieu de|prix barré|"
    r"prix conseillé|antes|prima|era|van|voorheen|adviesprijs|przed|tidigare|ord\.?|før|"
    r"старая цена|было|piyasa fiyat[ıi]|eski fiyat)(?!\w)|"
    r"^\W*(?:소비자가|정가|通常価格|定価|参考価格)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Candidate:
    block: Block
    price: ParsedPrice
    score: float
    includes_tax: bool | None = None  # what the price's own labels say


def price_candidates(
    layout: Layout, currency_hint: str | None
) -> tuple[list[Candidate], list[Candidate]]:
    """(sale-price candidates, list-price candidates), each scored."""
    current: list[Candidate] = []
    struck: list[Candidate] = []
    for block in layout.blocks:
        if block.noise or len(block.full_text) > MAX_PRICE_BLOCK or not _in_window(layout, block):
            continue
        if not any(ch.isdigit() for ch in block.full_text):
            continue
        label = _label_before(layout, block)
        old = block.struck or bool(OLD_LABEL.search(block.full_text) or OLD_LABEL_END.search(label))
        text = _PERCENT.sub(" ", block.full_text if old else block.text)
        if count_numbers(text) != 1:
            continue
        hinted = bool(PRICE_HINT.search(block.near_attrs))
        marked = bool(CURRENCY_MARK.search(text))
        if not (hinted or marked):
            continue
        if not _reads_as_price(block, layout, text, marked, old or block.soft_old):
            continue
        parsed = read_price(text, currency_hint=currency_hint)
        self_hinted = bool(PRICE_HINT.search(block.attrs))
        if parsed is None or parsed.amount <= 0:
            continue
        if not (marked or self_hinted or _money_shaped(text)):
            continue
        score = _score(block, layout, hinted, marked) + (2 if SALE_LABEL_END.search(label) else 0)
        includes_tax = _tax_label(layout, block, label)
        if includes_tax is False:
            score -= 1  # prices before tax are shown beside the price to pay
        candidate = Candidate(block, parsed, score, includes_tax)
        (struck if old or block.soft_old else current).append(candidate)
        if block.soft_old and not old:
            current.append(Candidate(block, parsed, score - 3, includes_tax))
    return current, struck


def _tax_label(layout: Layout, block: Block, label: str) -> bool | None:
    """Whether a price's own text, class, the label before it or the words right after
    it say it includes tax ("£38.54 <small>ex VAT</small>", "Ex Tax: £38.54")."""
    for basis in (
        basis_of_text(_PERCENT_OR_NUMBER.sub(" ", block.full_text)),
        basis_of_class(f"{block.attrs} {block.parent_attrs}"),
        basis_of_text(label),
        basis_of_text(_label_after(layout, block)),
    ):
        if basis is not None:
            return basis
    return None


_PERCENT_OR_NUMBER = re.compile(r"\d[\d.,' ]*")
MAX_TAX_NOTE = 120
TAX_NOTE_DISTANCE = 12


def _label_after(layout: Layout, block: Block) -> str:
    """The words right after a block: its tail and its next sibling's short text."""
    element = block.element
    following = element.getnext()
    text = (element.tail or "") + " "
    if following is not None:
        text += layout.short_text.get(following) or ""
    text = " ".join(text.split())[:40]
    return "" if count_numbers(_PERCENT.sub(" ", text)) else text


def _reads_as_price(block: Block, layout: Layout, text: str, marked: bool, old: bool) -> bool:
    """False for savings, per-measure prices, shipping thresholds, instalments and
    fragments of a split price."""
    if UNIT_HINT.search(block.attrs) or (PRICE_PART.search(block.attrs) and not marked):
        return False
    if PER_MEASURE.search(text):
        return False
    if old:
        return True
    own_and_parent = _WITH_DISCOUNT.sub("", f"{block.attrs} {block.parent_attrs}")
    if SAVING_HINT.search(own_and_parent) or NOT_A_PRICE.search(text):
        return False
    context = ancestor_texts(layout, block.element, 2)
    if any(NOT_A_PRICE.search(t) and count_numbers(t) == 1 for t in context if len(t) < 120):
        return False
    # The parent is the per-measure note only when it holds little else: "(3,50 € / 1 kg)".
    return not any(PER_MEASURE.search(t) and count_numbers(t) <= 2 for t in context[:1])


def _label_before(layout: Layout, block: Block) -> str:
    """The words just before a block: its previous sibling's text and tail, or its
    parent's leading text ("Regular Price: <span>$89.99</span>")."""
    element = block.element
    previous = element.getprevious()
    if previous is not None:
        text = (layout.short_text.get(previous) or "") + " " + (previous.tail or "")
    else:
        parent = element.getparent()
        text = (parent.text or "") if parent is not None else ""
    return " ".join(text.split())[-40:]


def _in_window(layout: Layout, block: Block) -> bool:
    """The main price sits near the heading; far-off blocks are not worth reading."""
    if layout.anchor_order is None:
        return block.order < WINDOW_AFTER
    return -WINDOW_BEFORE <= block.order - layout.anchor_order <= WINDOW_AFTER


def _money_shaped(text: str) -> bool:
    """A bare number near a "price" class counts when it has cents: ``19,99``."""
    return bool(re.fullmatch(r"\D{0,15}\d{1,3}(?:[.,' ]?\d{3})*[.,]\d{2}\D{0,15}", text.strip()))


def _score(block: Block, layout: Layout, hinted: bool, marked: bool) -> float:
    score = 0.0
    if hinted:
        score += 3
    if PRICE_HINT.search(block.attrs):
        score += 1
    if SALE_HINT.search(block.near_attrs) or block.element.tag == "ins":
        score += 2
    if marked:
        score += 1
    if "price" in (block.element.get("itemprop") or "").lower():
        score += 2
    if "finalprice" in block.near_attrs:
        score += 2
    if block.card:
        score -= 5
    if block.weak_noise:
        score -= 3
    if block.hidden:
        score -= 2
    if layout.anchor_order is not None:
        distance = block.order - layout.anchor_order
        if distance >= 0:
            score -= min(distance, 600) / 150
        else:
            score -= 2 + min(-distance, 600) / 150
    return score


def _best(candidates: list[Candidate]) -> Candidate | None:
    best: Candidate | None = None
    for candidate in candidates:
        if best is None or candidate.score > best.score:
            best = candidate
    return best


def _candidates(
    layout: Layout, currency_hint: str | None
) -> tuple[list[Candidate], list[Candidate]]:
    key = ("price_candidates", currency_hint)
    if key not in layout.memo:
        layout.memo[key] = price_candidates(layout, currency_hint)
    found: tuple[list[Candidate], list[Candidate]] = layout.memo[key]  # type: ignore[assignment]
    return found


def fallback_price(layout: Layout, currency_hint: str | None) -> Found:
    """The visible price (and the struck list price next to it) of the main product,
    and what the page says about its tax."""
    found = Found("fallback")
    current, struck = _candidates(layout, currency_hint)
    chosen = _best(current)
    if chosen is None or chosen.score < MIN_SCORE:
        return found
    found.set("price", chosen.price.amount)
    found.set("currency", chosen.price.currency)
    found.price_text = chosen.price.text
    list_price = list_price_near(struck, chosen)
    if list_price is not None:
        found.set("list_price", list_price)
    included, other = tax_basis(layout, current, chosen)
    found.set("price_includes_tax", included)
    found.set("other_basis_price", other)
    return found


def visible_tax(
    layout: Layout, currency_hint: str | None, amount: Decimal
) -> tuple[bool | None, Decimal | None]:
    """What the visible page says about the tax of a price read elsewhere (structured
    data): the labels of the best visible price showing the same amount."""
    current, _ = _candidates(layout, currency_hint)
    same = [c for c in current if _same_amount(c.price.amount, amount)]
    chosen = _best(same)
    if chosen is None:
        return None, None
    return tax_basis(layout, current, chosen)


def _same_amount(shown: Decimal, amount: Decimal) -> bool:
    exponent = shown.as_tuple().exponent
    places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    return shown == amount.quantize(Decimal(1).scaleb(-places))


def tax_basis(
    layout: Layout, current: list[Candidate], chosen: Candidate
) -> tuple[bool | None, Decimal | None]:
    """(whether the chosen price includes tax, the same price on the other basis).

    Its own labels decide; a price shown beside another one labelled the other way
    (net beside gross, at most 30 % apart) is that pair's other half; else a short tax
    note just after it ("inkl. 19 % MwSt.", "Taxes incluses.") says."""
    near = [
        c
        for c in current
        if c.block.element is not chosen.block.element
        and abs(c.block.order - chosen.block.order) <= NEAR_LIST_PRICE
        and c.block.card == chosen.block.card
        and c.price.amount != chosen.price.amount
        and c.includes_tax is not None
    ]
    near.sort(key=lambda c: abs(c.block.order - chosen.block.order))
    included = chosen.includes_tax
    for other in near:
        if other.includes_tax == included:
            continue
        chosen_gross = other.includes_tax is False
        gross, net = (chosen, other) if chosen_gross else (other, chosen)
        if plausible_pair(gross.price.amount, net.price.amount):
            return chosen_gross, other.price.amount
    if included is None:
        included = _tax_note(layout, chosen)
    return included, None


def _tax_note(layout: Layout, chosen: Candidate) -> bool | None:
    """A short note about tax just after the price, with no other amount in it."""
    for block in layout.blocks:
        gap = block.order - chosen.block.order
        if gap <= 0 or block.noise or block.card != chosen.block.card:
            continue
        if gap > TAX_NOTE_DISTANCE:
            break
        text = block.full_text
        if len(text) > MAX_TAX_NOTE or count_numbers(_PERCENT.sub(" ", text)):
            continue
        basis = basis_of_text(text)
        if basis is not None:
            return basis
    return None


def list_price_near(struck: list[Candidate], chosen: Candidate) -> Decimal | None:
    """The struck-through price shown beside the chosen one, when it is higher."""
    nearby = [
        c
        for c in struck
        if abs(c.block.order - chosen.block.order) <= NEAR_LIST_PRICE
        and c.price.amount > chosen.price.amount
        and c.block.card == chosen.block.card
        and c.block.element is not chosen.block.element
    ]
    if not nearby:
        return None
    nearest = min(nearby, key=lambda c: abs(c.block.order - chosen.block.order))
    return nearest.price.amount
