from django.http import HttpRequest, HttpResponse


def paper_list(request: HttpRequest) -> HttpResponse:
    return HttpResponse("catalogue")
