"""Collectors: file importers and Scrapy spiders. Every raw record is kept with its provenance."""
