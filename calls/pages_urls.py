"""The managers' call pages, under /calls/."""

from django.urls import path

from .pages import (
    call_detail,
    call_list,
    callbacks,
    dashboard,
    faq_entries,
    live_calls,
    settings_page,
    shop_setup,
    staff,
)

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
    path("shop/", shop_setup.shop_page, name="shop"),
    path("shop/hours/", shop_setup.save_hours, name="shop_hours"),
    path("shop/closures/", shop_setup.add_closure, name="shop_closure_add"),
    path("shop/closures/<int:pk>/remove/", shop_setup.remove_closure, name="shop_closure_remove"),
    path("shop/services/", shop_setup.save_services, name="shop_services"),
    path("faq/", faq_entries.faq_page, name="faq"),
    path("faq/add/", faq_entries.add_entry, name="faq_add"),
    path("faq/<int:pk>/", faq_entries.edit_entry, name="faq_edit"),
    path("faq/<int:pk>/delete/", faq_entries.delete_entry, name="faq_delete"),
    path("settings/", settings_page.settings_page, name="settings"),
    path("<str:call_sid>/", call_detail.call_detail, name="detail"),
    path("<str:call_sid>/audio/", call_detail.call_audio, name="audio"),
]
