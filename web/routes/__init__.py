"""The pages, one module per area."""

from web.routes import adoption, articles, audit, auth, clusters, consultations, intake, queue, reports, users

ROUTERS = [auth.router, consultations.router, intake.router, articles.router, queue.router, clusters.router,
           adoption.router, reports.router, audit.router, users.router]
