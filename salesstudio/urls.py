"""URL map (the project's wiring, above every app): account pages, then everything under /w/<workspace>/ (checked by
`workspace_view`)."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from calls.views import overview
from flows.views import bundles as bundle_views
from salesstudio.forms import LoginForm, StyledPasswordChangeForm, StyledPasswordResetForm, StyledSetPasswordForm
from salesstudio.views import accounts, bots, workspaces

bot_patterns = [
    path("", overview.bot_detail, name="bot_detail"),
    path("export/", bundle_views.bot_export, name="bot_export"),
    path("delete/", bots.bot_delete, name="bot_delete"),
    path("flow/", include("flows.urls")),
    path("nlu/", include("nlu.urls")),
    path("voice/", include("voice.urls")),
    path("calls/", include("calls.urls")),
]

workspace_patterns = [
    path("", bots.bot_list, name="bot_list"),
    path("import/", bundle_views.bot_import, name="bot_import"),
    path("jobs/<int:job>/", bots.job_status, name="job_status"),
    path("jobs/<int:job>/cancel/", bots.job_cancel, name="job_cancel"),
    path("members/", workspaces.members, name="members"),
    path("members/<int:member>/", workspaces.member_update, name="member_update"),
    path("members/invitations/<int:invitation>/revoke/", workspaces.invitation_revoke, name="invitation_revoke"),
    path("customers/", include("calls.customer_urls")),
    path("bots/<slug:bot>/", include(bot_patterns)),
]

urlpatterns = [
    path("", accounts.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True, authentication_form=LoginForm), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", auth_views.PasswordChangeView.as_view(form_class=StyledPasswordChangeForm), name="password_change"),
    path("accounts/password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("accounts/reset/", auth_views.PasswordResetView.as_view(form_class=StyledPasswordResetForm),
         name="password_reset"),
    path("accounts/reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("accounts/reset/<uidb64>/<token>/",
         auth_views.PasswordResetConfirmView.as_view(form_class=StyledSetPasswordForm), name="password_reset_confirm"),
    path("accounts/reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("invite/<str:token>/", accounts.accept_invitation, name="accept_invitation"),
    path("workspaces/new/", accounts.workspace_create, name="workspace_create"),
    path("i18n/", include("django.conf.urls.i18n")),
    # Browsers ask for /favicon.ico on pages that do not name an icon (downloads, fragments opened directly).
    path("favicon.ico", RedirectView.as_view(url=static("img/favicon.svg"), permanent=True), name="favicon"),
    path("admin/", admin.site.urls),
    path("w/<slug:ws>/", include(workspace_patterns)),
]

handler403 = "salesstudio.views.errors.permission_denied"
handler404 = "salesstudio.views.errors.page_not_found"
