"""Scrapy extensions of the competitor crawlers."""
