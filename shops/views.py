from django.conf import settings
from django.contrib import messages
from django.contrib.auth.forms import PasswordChangeForm
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.blobs import blob_chunks, blob_size
from core.http import client_ip
from core.xlsx import XLSX_CONTENT_TYPE
from shops import selectors, services
from shops.decorators import owner_required, shop_member_required
from shops.exports import export_check_access, export_request
from shops.forms import (
    ActivityFilterForm,
    LanguageForm,
    LoginForm,
    ShopSettingsForm,
    StaffCreateForm,
    StaffUpdateForm,
)
from shops.models import ExportJob, User


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return fallback


def login_view(request):
    if request.user.is_authenticated:
        return redirect(settings.LOGIN_REDIRECT_URL)
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = services.login_attempt(
            request=request, username=form.cleaned_data["username"], password=form.cleaned_data["password"]
        )
        if result.user is not None:
            fallback = reverse("admin:index") if result.user.shop_id is None else reverse(settings.LOGIN_REDIRECT_URL)
            return redirect(_safe_next(request, fallback))
        form.add_error(None, result.error)
    return render(request, "shops/login.html", {"form": form, "next": request.GET.get("next", "")})


def admin_login_redirect_view(request):
    target = _safe_next(request, reverse("admin:index"))
    return redirect(f"{reverse('shops:login')}?{urlencode({'next': target})}")


@require_POST
def logout_view(request):
    services.logout_perform(request=request)
    messages.success(request, _("You have logged out."))
    return redirect(settings.LOGOUT_REDIRECT_URL)


@shop_member_required
def password_change_view(request):
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.password_change(request=request, user=request.user, new_password=form.cleaned_data["new_password1"])
        messages.success(request, _("Your password has been changed."))
        return redirect("shops:password_change")
    return render(request, "shops/password_change.html", {"form": form})


@require_POST
def language_view(request):
    form = LanguageForm(request.POST)
    response = redirect(_safe_next(request, reverse("dashboard:index")))
    if form.is_valid():
        language = form.cleaned_data["language"]
        if request.user.is_authenticated:
            services.language_set(user=request.user, language=language, ip=client_ip(request))
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, max_age=365 * 24 * 3600, samesite="Lax")
    return response


@owner_required
def shop_settings_view(request):
    shop = request.shop
    initial = {
        "name": shop.name,
        "time_zone": shop.time_zone,
        "auto_activate_members": shop.auto_activate_members,
        "slug": shop.slug,
    }
    form = ShopSettingsForm(request.POST or None, initial=initial, shop=shop)
    if request.method == "POST" and form.is_valid():
        changed = services.shop_update_settings(
            shop=shop,
            actor=request.user,
            ip=client_ip(request),
            name=form.cleaned_data["name"],
            time_zone=form.cleaned_data["time_zone"],
            auto_activate_members=form.cleaned_data["auto_activate_members"],
            slug=form.cleaned_data["slug"],
        )
        messages.success(request, _("Settings saved.") if changed else _("Nothing changed."))
        return redirect("shops:settings")
    return render(request, "shops/settings.html", {"form": form, **selectors.settings_page(shop=shop)})


@owner_required
def staff_create_view(request):
    form = StaffCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = services.staff_create(shop=request.shop, actor=request.user, ip=client_ip(request), **form.cleaned_data)
        messages.success(request, _("Staff account %(username)s created.") % {"username": user.username})
        return redirect("shops:settings")
    request.menu_path = reverse("shops:settings")  # staff accounts are listed on the shop page
    return render(request, "shops/staff_form.html", {"form": form, "creating": True})


@owner_required
def staff_edit_view(request, pk: int):
    member = selectors.staff_member(shop=request.shop, pk=pk)
    if member is None:
        raise Http404
    initial = {field: getattr(member, field) for field in StaffUpdateForm.base_fields}
    form = StaffUpdateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            changed = services.staff_update(
                shop=request.shop, actor=request.user, ip=client_ip(request), user=member, **form.cleaned_data
            )
        except services.StaffError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Settings saved.") if changed else _("Nothing changed."))
            return redirect("shops:settings")
    request.menu_path = reverse("shops:settings")
    return render(request, "shops/staff_form.html", {"form": form, "member": member, "creating": False})


@owner_required
def activity_list_view(request):
    form = ActivityFilterForm(request.GET or None, shop=request.shop)
    page = selectors.activity_page(shop=request.shop, filters=form.filters(), page_number=request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "shops/activity_list.html", {"form": form, "query": query.urlencode(), **page})


@owner_required
def activity_detail_view(request, pk: int):
    page = selectors.activity_detail(shop=request.shop, pk=pk)
    if page is None:
        raise Http404
    return render(request, "shops/activity_detail.html", page)


@owner_required
@require_POST
def activity_export_view(request):
    form = ActivityFilterForm(request.POST, shop=request.shop)
    if not form.is_valid():
        messages.error(request, _("Fix the filter before exporting."))
        return redirect("shops:activity")
    params = {key: value.isoformat() if hasattr(value, "isoformat") else value for key, value in form.filters().items()}
    job = export_request(
        shop=request.shop,
        actor=request.user,
        ip=client_ip(request),
        kind="activity",
        params=params,
        required_role=User.Role.OWNER,
    )
    return redirect("shops:export", pk=job.pk)


@shop_member_required
def export_detail_view(request, pk: int):
    job = selectors.export_job(shop=request.shop, pk=pk)
    if job is None:
        raise Http404
    export_check_access(job=job, user=request.user)
    return render(request, "shops/export_detail.html", {"job": job})


@shop_member_required
def export_download_view(request, pk: int):
    job = selectors.export_job(shop=request.shop, pk=pk, done=True)
    if job is None:
        raise Http404
    export_check_access(job=job, user=request.user)
    # Streamed a chunk at a time: a million-row report is not held by the web process.
    response = StreamingHttpResponse(
        blob_chunks(model=ExportJob, field="content", pk=job.pk), content_type=XLSX_CONTENT_TYPE
    )
    response["Content-Length"] = str(blob_size(model=ExportJob, field="content", pk=job.pk))
    response["Content-Disposition"] = f'attachment; filename="{job.filename}"'
    return response
