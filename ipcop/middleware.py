"""Project middleware."""

from django.utils.cache import add_never_cache_headers, patch_cache_control


class NoStoreForPersonalDataMiddleware:
    """Pages seen by a logged-in person carry personal data: no browser or proxy may keep
    them (`Cache-Control: no-store`). Static files and anonymous pages are unaffected."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
            patch_cache_control(response, no_store=True, private=True)
        return response
