from django.contrib import admin
from django.urls import include, path

from calls.pages import home
from ottos import health

admin.site.site_header = "Otto's back office"
admin.site.site_title = "Otto's"
admin.site.index_title = "Shop data"
admin.site.site_url = "/"  # "View site": the staff home page, which links back here

urlpatterns = [
    path("", home.home, name="home"),
    path("admin/", admin.site.urls),
    path("twilio/", include("calls.telephony.urls")),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", health.metrics, name="metrics"),
    path("calls/", include("calls.pages_urls")),
    path("phone/", include("calls.telephony.phone")),
]
