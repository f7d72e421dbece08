from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Otto's back office"
admin.site.site_title = "Otto's"
admin.site.index_title = "Shop data"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("twilio/", include("calls.urls")),
]
