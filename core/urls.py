from .pages import pages

app_name = "core"
urlpatterns = pages.urlpatterns("core")
