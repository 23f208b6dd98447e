from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.index, name="index"),
    path("table1/", views.table1, name="table1"),
    path("table2/", views.table2, name="table2"),
    path("cox/<str:endpoint>/", views.cox, name="cox"),
    path("survival/<str:endpoint>/", views.survival, name="survival"),
    path("swimmer/", views.swimmer, name="swimmer"),
    path("swimmer.csv", views.swimmer_csv, name="swimmer-csv"),
    path("swimmer.<str:fmt>", views.swimmer_image, name="swimmer-image"),
    path("survival/<str:endpoint>/data.csv", views.survival_csv, name="survival-csv"),
    path("survival/<str:endpoint>/<str:by>.<str:fmt>", views.survival_image, name="survival-image"),
]
urlpatterns += [
    path("table3/", views.table3, name="table3"),
    path("safety/", views.safety, name="safety"),
]
