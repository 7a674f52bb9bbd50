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

# Faults: retry 5xx, 429 and timeouts, waiting as the server asks (Retry-After) or
# with exponential backoff (Scrapy's own retry neither waits nor reads Retry-After).
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [429, 500, 502, 503, 504, 522, 524, 408]
RETRY_BACKOFF_BASE = 0.5  # seconds before the first retry; doubles each time
RETRY_BACKOFF_MAX = 60.0
RETRY_AFTER_MAX = 300.0  # a longer Retry-After gives the page up for this run
RETRY_RATE_LIMITED_TIMES = 10  # 429s have their own budget: a rate limit lifts
DOWNLOAD_TIMEOUT = 30  # per competitor: download_timeout in competitors.yaml
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawlers.downloadermiddlewares.backoff.BackoffRetryMiddleware": 550,
}
EXTENSIONS = {
    "crawlers.extensions.crawlstats.CrawlErrorStats": 500,
    "crawlers.extensions.logformat.JsonLogs": 0,
    "scrapy.extensions.remote_control.RemoteControl": None,  # no open ports in a crawl
}

ITEM_PIPELINES = {"crawlers.pipelines.storage.StoragePipeline": 300}

TELNETCONSOLE_ENABLED = False
LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
