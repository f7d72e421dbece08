from django.urls import path

from . import views

app_name = "calls"

urlpatterns = [
    path("voice/", views.incoming_call, name="incoming_call"),
    path("status/", views.call_status, name="call_status"),
    path("stream-ended/", views.stream_ended, name="stream_ended"),
]
