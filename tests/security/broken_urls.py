"""A URLconf with one view that fails, for the 500 page test."""

from django.contrib.auth.decorators import login_not_required
from django.urls import path

from readinggroup.urls import handler500, urlpatterns


@login_not_required
def broken(request):
    raise RuntimeError("a bug, not the database")


urlpatterns = [*urlpatterns, path("broken/", broken)]
__all__ = ["handler500", "urlpatterns"]
