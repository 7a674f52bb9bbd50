"""Spiders: which URLs to visit. What is on a page is the extraction package's job."""
