"""Competitor prices in other currencies and packs: dated FX rates from pricing.yaml,
per-unit prices, and what the optimize step leaves out and says so."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from pricing.config import PricingPolicy, validate_config
from pricing.errors import ConfigError
from pricing.fx import FxRateMissingError, FxRates
from pricing.observations import ObservationIn, store_observations
from pricing.optimizer import PartInput, optimize
from pricing.pipeline.optimize import read_inputs, run_optimizer
from pricing.storage import Database
from pricing.storage.models import Listing, Match, Part, Suggestion, SuggestionRun
from tests.conftest import CONFIG_DIR

D = Decimal
UTC = dt.UTC
AS_OF = dt.datetime(2026, 3, 20, 12, tzinfo=UTC)
RATES = {
    "fx": {
        "rates": {
            "EUR": {"2026-01-01": "1.10", "2026-03-10": "1.20"},
            "GBP": {"2026-01-01": "1.30"},
        }
    }
}


def policy(**extra: Any) -> PricingPolicy:
    return PricingPolicy.model_validate({**RATES, **extra})


# --- the rate table -----------------------------------------------------------------


def test_the_rate_in_force_is_the_latest_on_or_before_the_day() -> None:
    fx = policy().fx.table("USD")
    assert fx.rate("EUR", dt.date(2026, 3, 9)) == D("1.10")
    assert fx.rate("EUR", dt.date(2026, 3, 10)) == D("1.20")
    assert fx.rate("EUR", dt.date(2027, 1, 1)) == D("1.20")  # in force until replaced
    assert fx.rate("USD", dt.date(1990, 1, 1)) == 1
    with pytest.raises(FxRateMissingError, match="first rate is on 2026-01-01"):
        fx.rate("EUR", dt.date(2025, 12, 31))
    with pytest.raises(FxRateMissingError, match="JPY"):
        fx.rate("JPY", dt.date(2026, 3, 1))


def test_max_age_refuses_a_stale_rate() -> None:
    fx = PricingPolicy.model_validate(
        {"fx": {**RATES["fx"], "max_age_days": 30}}).fx.table("USD")
    assert fx.rate("GBP", dt.date(2026, 1, 31)) == D("1.30")
    with pytest.raises(FxRateMissingError, match="days old"):
        fx.rate("GBP", dt.date(2026, 2, 1))


def test_csv_table_reads_dated_rates() -> None:
    fx = FxRates.from_csv_text("USD", "date,currency,rate\n2026-01-01,eur,1.1\n")
    assert fx.convert(D("10"), "EUR", dt.date(2026, 2, 1)) == D("11.0000")


def test_shipped_config_converts_eur_and_gbp_today() -> None:
    """The demo's shops price in EUR and GBP: the shipped rates must be in force."""
    from pricing.config import load_config

    cfg = load_config(CONFIG_DIR).policy
    fx = cfg.fx.table(cfg.base_currency)
    today = dt.date.today()
    assert fx.rate("EUR", today) > 0 and fx.rate("GBP", today) > 0


def test_shipped_eur_rate_is_the_demo_worlds() -> None:
    """gearhub prices our parts in EUR at the demo world's rate: converted back with the
    shipped config they must land on the world's dollar prices, or the demo's market
    position and suggestions would be off by the difference."""
    from demo_market.shops import EUR_USD
    from pricing.config import load_config

    cfg = load_config(CONFIG_DIR).policy
    assert cfg.fx.table(cfg.base_currency).rate("EUR", dt.date.today()) == EUR_USD


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("fx: {rates: {USD: {2026-01-01: 1}}}", ""),
        ("fx: {rates: {EUR: {2026-01-01: -1}}}", "fx.rates.EUR.2026-01-01"),
        ("fx: {rates: {EUR: {2026-01-01: 0}}}", "fx.rates.EUR.2026-01-01"),
        ("fx: {rates: {eur: {2026-01-01: 1}}}", "fx.rates.eur"),
        ("fx: {rates: {EUR: {not-a-date: 1}}}", "fx.rates.EUR.not-a-date"),
        ("fx: {max_age_days: 0}", "fx.max_age_days"),
        ("fx: {source: ecb}", "fx.source"),
    ],
)
def test_bad_fx_config_names_the_key(text: str, key: str) -> None:
    path = Path("config/pricing.yaml")
    with pytest.raises(ConfigError) as err:
        validate_config(PricingPolicy, path, yaml.safe_load(text))
    assert key in str(err.value) and "pricing.yaml" in str(err.value)


# --- the optimize step --------------------------------------------------------------


def _part(session: Any, sku: str, currency: str = "USD", pack: int = 1,
          price: str = "20.00") -> None:
    session.add(Part(sku=sku, part_number=sku, part_number_norm=sku, description=sku,
                     brand="Acme", category="Hoses", family=sku, unit_cost=D("5.00"),
                     price=D(price), currency=currency, pack_qty=pack, proprietary=False))


def _seen(session: Any, sku: str, url: str, price: str, currency: str, days_ago: float,
          title: str = "Hose", pack: int = 1) -> None:
    at = AS_OF - dt.timedelta(days=days_ago)
    store_observations(session, [ObservationIn("shop", url, title, at, D(price), currency,
                                               pack_qty=pack)], source="import")
    listing = session.query(Listing).filter_by(url=url).one()
    if not session.query(Match).filter_by(listing_id=listing.id).count():
        session.add(Match(listing_id=listing.id, sku=sku, method="xref", confidence=1.0,
                          status="auto"))


def test_prices_are_converted_at_the_rate_of_their_day(db: Database) -> None:
    with db.session() as s:
        _part(s, "H1")
        _seen(s, "H1", "https://shop/eur-old", "10.00", "EUR", days_ago=12)  # 1.10
        _seen(s, "H1", "https://shop/eur-new", "10.00", "EUR", days_ago=5)  # 1.20
        _seen(s, "H1", "https://shop/gbp", "10.00", "GBP", days_ago=5)  # 1.30
        _seen(s, "H1", "https://shop/usd", "12.40", "USD", days_ago=5)
        _seen(s, "H1", "https://shop/jpy", "1500", "JPY", days_ago=5)  # no rate
        _seen(s, "H1", "https://shop/chf", "9.00", "CHF", days_ago=5)  # no rate
    with db.session() as s:
        (inp,), left_out = read_inputs(s, policy(), AS_OF)
    assert sorted(inp.competitor_unit_prices) == [D("11.0000"), D("12.0000"), D("12.40"),
                                                  D("13.0000")]
    assert inp.competitor_currency == "USD"
    assert left_out.counts["no_fx_rate"] == 2 and left_out.counts["converted"] == 3
    run_id = run_optimizer(db, policy(), as_of=AS_OF)
    with db.session() as s:
        run = s.get(SuggestionRun, run_id)
        sug = s.query(Suggestion).filter_by(run_id=run_id).one()
        assert run is not None and run.status == "complete"
        summary = run.summary
    assert sug.competitor_count == 4
    assert sug.competitor_reference == D("12.2000")  # median of 11, 12, 12.40, 13
    assert summary["prices_left_out"] == {"no_fx_rate": 2}
    assert summary["missing_fx_rates"] == {"CHF": 1, "JPY": 1}
    assert any("JPY left out: no exchange rate to USD" in m for m in summary["notes"])
    assert summary["solver"]["success"] is True
    assert summary["elasticity_sources"] == {"prior": 1}


def test_a_price_seen_before_the_first_rate_is_left_out(sqlite_db: Database) -> None:
    with sqlite_db.session() as s:
        _part(s, "H1")
        _seen(s, "H1", "https://shop/eur", "10.00", "EUR", days_ago=1)
    early = {"fx": {"rates": {"EUR": {"2026-03-20": "1.2"}}}}
    with sqlite_db.session() as s:
        (inp,), left_out = read_inputs(s, PricingPolicy.model_validate(early), AS_OF)
    assert inp.competitor_unit_prices == [] and left_out.missing_rates == {"EUR": 1}


def test_a_part_priced_in_eur_is_compared_in_eur(sqlite_db: Database) -> None:
    with sqlite_db.session() as s:
        _part(s, "H1", currency="EUR")
        _seen(s, "H1", "https://shop/usd", "12.00", "USD", days_ago=1)  # / 1.20
        _seen(s, "H1", "https://shop/eur", "9.00", "EUR", days_ago=1)
        _part(s, "H2", currency="SEK")  # no rate for the part's own currency
        _seen(s, "H2", "https://shop/usd2", "12.00", "USD", days_ago=1)
    with sqlite_db.session() as s:
        (h1, h2), _ = read_inputs(s, policy(), AS_OF)
    assert h1.competitor_currency == "EUR"
    assert sorted(h1.competitor_unit_prices) == [D("9.00"), D("10.0000")]
    assert h2.competitor_currency == "USD"
    (r1, r2) = optimize([h1, h2], policy())
    assert r1.competitor_count == 2 and "CURRENCY_MISMATCH" not in r1.reason_codes
    assert r2.competitor_count == 0 and "CURRENCY_MISMATCH" in r2.reason_codes


def test_unknown_pack_in_the_title_is_not_taken_as_one(sqlite_db: Database) -> None:
    """An imported observation without pack_qty is stored as 1; the title's pack wins."""
    with sqlite_db.session() as s:
        _part(s, "H1")
        _seen(s, "H1", "https://shop/4", "40.00", "USD", 1, title="Hose clamp (pack of 4)")
        _seen(s, "H1", "https://shop/1", "11.00", "USD", 1, title="Hose clamp")
        _seen(s, "H1", "https://shop/2", "24.00", "USD", 1, title="Hose clamp 4 pcs", pack=2)
    with sqlite_db.session() as s:
        (inp,), left_out = read_inputs(s, policy(), AS_OF)
    # 40/4 from the title; 11/1; the recorded pack of 2 wins over the title's 4
    assert sorted(inp.competitor_unit_prices) == [D("10.0000"), D("11.00"), D("12.0000")]
    assert left_out.pack_from_title == 1


def test_part_input_keeps_base_currency_by_default() -> None:
    p = PartInput(sku="A", category="Hoses", family="A", proprietary=False,
                  unit_cost=D("5"), current_price=D("10"), currency="EUR", pack_qty=1,
                  competitor_unit_prices=[D("9")])
    (r,) = optimize([p], PricingPolicy())
    assert "CURRENCY_MISMATCH" in r.reason_codes and r.competitor_count == 0
