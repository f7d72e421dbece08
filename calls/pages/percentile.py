"""A percentile aggregate (percentile_cont: linear interpolation between the two nearest values).

PostgreSQL has it built in as an ordered-set aggregate. SQLite (the embedded default) does
not, so the same aggregate is registered on the SQLite connection the first time a query uses
it: one code path for the pages whatever the database.
"""

import math

from django.db.models import Aggregate, FloatField

SQLITE_FUNCTION = "ottos_percentile_cont"


class Percentile(Aggregate):
    name = "Percentile"
    output_field = FloatField()

    def __init__(self, expression, fraction, **extra):
        fraction = float(fraction)
        if not 0.0 <= fraction <= 1.0:
            raise ValueError(f"a percentile fraction is between 0 and 1, not {fraction}")
        self.fraction = fraction
        super().__init__(expression, **extra)

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            template="percentile_cont(%(fraction)r) WITHIN GROUP (ORDER BY %(expressions)s)%(filter)s",
            fraction=self.fraction,
            **extra_context,
        )

    def as_sqlite(self, compiler, connection, **extra_context):
        connection.ensure_connection()
        connection.connection.create_aggregate(SQLITE_FUNCTION, 2, _SqlitePercentile)
        return self.as_sql(
            compiler,
            connection,
            template=f"{SQLITE_FUNCTION}(%(expressions)s, %(fraction)r)%(filter)s",
            fraction=self.fraction,
            **extra_context,
        )

    def _get_repr_options(self):
        return {**super()._get_repr_options(), "fraction": self.fraction}


def percentile_cont(values, fraction):
    """The same interpolation as PostgreSQL's percentile_cont, over a list of numbers."""
    ordered = sorted(v for v in values if v is not None)
    if not ordered:
        return None
    position = fraction * (len(ordered) - 1)
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


class _SqlitePercentile:
    def __init__(self):
        self.values = []
        self.fraction = None

    def step(self, value, fraction):
        self.fraction = fraction
        if value is not None:
            self.values.append(value)

    def finalize(self):
        return percentile_cont(self.values, self.fraction) if self.values else None
