"""Scrapy settings for the competitor crawlers: polite by default.

Per-competitor delay and concurrency come from ``config/competitors.yaml`` and are
applied by each spider's ``custom_settings``; the database and config locations are
passed in by the runner (``PRICING_DATABASE_URL``, ``PRICING_CONFIG_DIR`` settings) or,
when Scrapy's own CLI is used, read from the environment when a component starts.
"""

BOT_NAME = "pricing-monitor"
SPIDER_LOADER_CLASS = "crawlers.spiderloader.ConfigSpiderLoader"
NEWSPIDER_MODULE = "crawlers.spiders"

# Identify ourselves and respect the sites we read.
USER_AGENT = (
    "PricingMonitorBot/0.1 (+competitive price monitoring; contact: pricing-ops@example.com)"
)
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
COOKIES_ENABLED = False

# Faults: retry 5xx, 429 and timeouts with Scrapy's backoff; give up on slow pages.
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [429, 500, 502, 503, 504, 522, 524, 408]
DOWNLOAD_TIMEOUT = 20
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024

ITEM_PIPELINES = {"crawlers.pipelines.storage.StoragePipeline": 300}

TELNETCONSOLE_ENABLED = False
LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
