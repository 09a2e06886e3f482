"""What people see when the server fails: a page in Vietnamese, not Django's English one."""

import contextlib

import pytest
from django.db import connection
from django.test import Client
from django.urls import include, path


def broken_view(request):
    raise RuntimeError("a bug")


urlpatterns = [path("boom/", broken_view), path("", include("config.urls"))]


def database_down(execute, sql, params, many, context):
    raise RuntimeError("the database is down")


@pytest.fixture
def visitor(db, settings):
    settings.DEBUG = False
    return Client(raise_request_exception=False)


@pytest.mark.urls("core.tests.test_error_pages")
@pytest.mark.parametrize("database", ["up", "down"])
def test_a_server_error_shows_a_vietnamese_page_that_needs_no_database(visitor, owner, database):
    visitor.force_login(owner)  # the page of a logged-in owner, whose session and shop are read
    broken = connection.execute_wrapper(database_down) if database == "down" else contextlib.nullcontext()

    with broken:
        response = visitor.get("/boom/")

    page = response.content.decode()
    assert response.status_code == 500
    assert "Đã xảy ra lỗi" in page and "lỗi đã được ghi lại" in page
    assert "Server Error" not in page
    assert 'lang="vi"' in page and 'href="/"' in page
