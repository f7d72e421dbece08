from django.contrib import admin
from django.urls import include, path

from ottos import health

admin.site.site_header = "Otto's back office"
admin.site.site_title = "Otto's"
admin.site.index_title = "Shop data"
admin.site.site_url = "/calls/"  # "View site": the call pages, which link back here

urlpatterns = [
    path("admin/", admin.site.urls),
    path("twilio/", include("calls.telephony.urls")),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", health.metrics, name="metrics"),
    path("calls/", include("calls.pages_urls")),
    path("phone/", include("calls.telephony.phone")),
]
