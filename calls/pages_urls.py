"""The managers' call pages, under /calls/."""

from django.urls import path

from .pages import call_detail, call_list, callbacks, dashboard, live_calls, staff

app_name = "call_pages"

urlpatterns = [
    path("", call_list.call_list, name="list"),
    path("export.csv", call_list.call_list_csv, name="csv"),
    path("live/", live_calls.live_calls, name="live"),
    path("live/fragment/", live_calls.live_calls_fragment, name="live_fragment"),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("callbacks/", callbacks.callbacks_inbox, name="callbacks"),
    path("callbacks/<int:pk>/called-back/", callbacks.called_back, name="called_back"),
    path("staff/", staff.staff_page, name="staff"),
    path("staff/invite/", staff.invite, name="staff_invite"),
    path("staff/<int:pk>/role/", staff.change_role, name="staff_role"),
    path("staff/<int:pk>/deactivate/", staff.deactivate, name="staff_deactivate"),
    path("staff/<int:pk>/reactivate/", staff.reactivate, name="staff_reactivate"),
    path("staff/<int:pk>/link/", staff.send_link_again, name="staff_link"),
    path("staff/set-password/<uidb64>/<token>/", staff.SetPassword.as_view(), name="set_password"),
    path("<str:call_sid>/", call_detail.call_detail, name="detail"),
    path("<str:call_sid>/audio/", call_detail.call_audio, name="audio"),
]
