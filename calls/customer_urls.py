from django.urls import path

from calls.views import customers

app_name = "customers"
urlpatterns = [
    path("", customers.customers, name="customers"),
    path("export.csv", customers.customers_export, name="customers_export"),
    path("<int:customer>/", customers.customer, name="customer"),
    path("<int:customer>/forget/", customers.customer_forget, name="customer_forget"),
]
