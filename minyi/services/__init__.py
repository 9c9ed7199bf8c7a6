"""The application layer: one function per workflow or reviewer operation.

Every shell (the CLI, the web application, notebooks, the benchmarks, the distributed
runner) calls these; they own the unit of work, the acting user, permissions, the audit
log and progress reporting, and they are the only place where collectors, pipeline,
reports and models meet.
"""
