"""The web application: report review, SKU history charts, market position, JSON API.

``pricing.web.app.create_app(settings)`` builds it; ``pricing serve`` runs it.
"""
