"""The Scrapy project: config-driven spiders, extraction, and the storage pipeline."""
