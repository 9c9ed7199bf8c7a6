"""The small core every layer shares: domain types, vocabularies, errors, settings.

It imports nothing else of ours, so collectors, pipeline, reports and models can all use
it without importing one another.
"""
