from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from gridgov.core.jurisdiction import scope_of


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "web/home.html", {"scope": scope_of(request.user)})
