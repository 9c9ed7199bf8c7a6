"""The review application: FastAPI + Jinja2 + htmx, server-rendered, in Chinese.

A shell over ``minyi.services``: every page reads and writes through the application
layer. ``web.app.create_app(settings)`` builds it; ``minyi serve`` runs it.
"""
