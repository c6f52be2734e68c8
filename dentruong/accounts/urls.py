from django.urls import path

from dentruong.accounts import views

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/code/", views.login_code, name="login-code"),
    path("login/enrol/", views.login_enrol, name="login-enrol"),
    path("account/", views.account_security, name="account-security"),
    path("account/password/", views.password_change, name="password-change"),
    path("account/recovery-codes/", views.recovery_codes, name="recovery-codes"),
]
