"""The token endpoint speaks RFC 6749: a body that is not form-encoded is an `invalid_request` that
says so, instead of claiming that a grant_type it never read was wrong."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.bootstrap import Services
from tests.e2e.helpers import register_enterprise

TOKEN = "/api/v1/oauth/token"
FORM = {"grant_type": "client_credentials", "client_id": "00000000-0000-0000-0000-000000000000", "client_secret": "s"}


def assert_oauth_error(response, status: int, error: str) -> str:  # noqa: ANN001
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["error"] == error and set(body) == {"error", "error_description"}
    return body["error_description"]


@pytest.mark.parametrize("content_type", ["application/json", "text/plain", "multipart/form-data; boundary=x", None])
def test_a_body_that_is_not_form_encoded_is_an_invalid_request_saying_so(client: TestClient, content_type: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    content = b'{"grant_type": "client_credentials", "client_id": "a", "client_secret": "b"}'
    described = assert_oauth_error(client.post(TOKEN, content=content, headers=headers), 400, "invalid_request")
    assert "application/x-www-form-urlencoded" in described
    assert "grant_type must be" not in described


def test_json_body_is_refused_even_with_http_basic(client: TestClient) -> None:
    response = client.post(TOKEN, json={"grant_type": "client_credentials"}, auth=("client", "secret"))
    assert "form-encoded" in assert_oauth_error(response, 400, "invalid_request")


def test_form_body_with_another_grant_type_is_unsupported_grant_type(client: TestClient) -> None:
    response = client.post(TOKEN, data=FORM | {"grant_type": "password"})
    assert assert_oauth_error(response, 400, "unsupported_grant_type") == "grant_type must be client_credentials"


def test_form_body_with_charset_is_accepted_as_form(client: TestClient, services: Services) -> None:
    register_enterprise(services)
    response = client.post(TOKEN, content="grant_type=client_credentials&client_id=x&client_secret=y",
                           headers={"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"})
    assert_oauth_error(response, 401, "invalid_client")
