"""Query counting for the benchmark only (bench/settings.py)."""

from django.db import connection


class QueryCountMiddleware:
    """Counts the SQL statements of a request and reports them in `X-Queries`."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        count = 0

        def counter(execute, sql, params, many, context):
            nonlocal count
            count += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counter):
            response = self.get_response(request)
            # A streaming or lazily rendered body would query after this point; ours don't.
        response["X-Queries"] = str(count)
        return response
