"""Downloader middlewares of the competitor crawlers."""
