"""The records database: the front door's memory, read by people and reports.

Its tables (written only by the records service), the engine every reader and writer opens
it with, and its Alembic migrations. SQLite by default, PostgreSQL in production.
"""
