"""A trigram index on customers' names, so the back office's name search (Django's icontains,
which PostgreSQL runs as UPPER(name::text) LIKE UPPER('%word%')) reads the index instead of
every customer.

It lives here and not in Customer.Meta.indexes: a GIN index is PostgreSQL's alone, and the
embedded default runs on SQLite, whose table rebuilds would try to recreate it from the model.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations


class RunSQLOnPostgreSQL(migrations.RunSQL):
    """RunSQL that leaves other databases alone (on SQLite a shop's customers are few enough to scan)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):

    dependencies = [
        ("crm", "0002_vehicle_decode_source_and_recalls"),
    ]

    operations = [
        TrigramExtension(),  # does nothing on other databases
        RunSQLOnPostgreSQL(
            # fastupdate off: new names go straight into the index. A pending list of unsorted
            # entries (after an import, until a vacuum) makes the planner price the index so high
            # that for a LIMIT of 1-3 (the booking form's customer picker) it walks the primary
            # key instead, through every customer when the name is rare.
            sql="CREATE INDEX crm_customer_name_trgm ON crm_customer USING gin ((UPPER(name::text)) gin_trgm_ops) "
                "WITH (fastupdate = off)",
            reverse_sql="DROP INDEX crm_customer_name_trgm",
        ),
    ]
