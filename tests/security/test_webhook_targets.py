"""Webhook SSRF: the chat webhook reaches only public addresses, unless the group allows
its own network (READINGGROUP_WEBHOOK_ALLOW_PRIVATE=1), and its test never says what
answered where.

Refusals need no traffic: every connection attempt in these tests is recorded (and
anything outside loopback is stopped by the ``sockets`` fixture before it leaves),
and a refused target is refused before any socket connects.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import reverse

from readinggroup.models import Channel, GroupSettings, Notification
from readinggroup.notifications import delivery, webhook_targets
from readinggroup.notifications.views import WEBHOOK_TEST_FAILED
from tests.readinggroup.test_settings import _env, _last_line, _production_secret_key, _setup

pytestmark = pytest.mark.django_db

# Literal addresses and names that are not on the public internet.
REFUSED_ADDRESSES = [
    "127.0.0.1", "127.8.9.10", "0.0.0.0", "10.0.0.5", "172.16.3.4", "192.168.1.20",
    "169.254.169.254", "100.64.0.1", "192.0.2.1", "198.18.0.1", "224.0.0.1",
    "255.255.255.255", "::1", "::", "fe80::1", "fe80::1%1", "fc00::1", "fd12:3456::1",
    "::ffff:127.0.0.1", "::ffff:10.0.0.5", "::ffff:169.254.169.254", "64:ff9b::a00:5",
    "2002:7f00:1::1", "2001:db8::1", "ff02::1",
]  # fmt: skip
PUBLIC_ADDRESSES = ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"]


@pytest.mark.parametrize("address", REFUSED_ADDRESSES)
def test_non_public_address_is_not_public(address: str) -> None:
    assert not webhook_targets.is_public(address)


@pytest.mark.parametrize("address", PUBLIC_ADDRESSES)
def test_public_address_is_public(address: str) -> None:
    assert webhook_targets.is_public(address)


# --- Refused before connecting --------------------------------------------------------------


@pytest.fixture
def sockets(monkeypatch) -> list[tuple]:
    """Every address a socket tries to connect to; none outside loopback gets out."""
    attempts: list[tuple] = []
    real_connect = socket.socket.connect

    def connect(sock: socket.socket, address: tuple) -> None:
        attempts.append(address)
        host = address[0].split("%")[0]
        if not (host.startswith("127.") or host in ("::1", "::ffff:127.0.0.1")):
            raise AssertionError(f"a test tried to reach {address} outside loopback")
        real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    return attempts


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A port on loopback that listens and answers nothing."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        server.setblocking(False)
        yield server


def _hosts(port: int) -> list:
    # Literal addresses only (and localhost, from /etc/hosts): no DNS query leaves.
    return [
        f"http://127.0.0.1:{port}/hook",
        f"http://localhost:{port}/hook",
        f"http://[::1]:{port}/hook",
        f"http://[::ffff:127.0.0.1]:{port}/hook",
        f"http://0.0.0.0:{port}/hook",
        f"http://2130706433:{port}/hook",  # 127.0.0.1 as one number
        "http://10.0.0.5/hook",
        "http://192.168.1.20:8065/hooks/abc",
        "https://169.254.169.254/latest/meta-data/",
        "http://[fe80::1]/hook",
        "http://[::ffff:169.254.169.254]/hook",
    ]


@pytest.mark.parametrize("index", range(len(_hosts(0))), ids=lambda i: _hosts(1)[i])
def test_webhook_to_a_private_address_is_refused_without_traffic(
    settings, sockets, listener, index
) -> None:
    settings.READINGGROUP_WEBHOOK_ALLOW_PRIVATE = False
    url = _hosts(listener.getsockname()[1])[index]
    with pytest.raises(delivery.DeliveryError) as refused:
        delivery.post_webhook(url, "hello")
    assert refused.value.permanent
    assert str(refused.value).startswith("The webhook URL's host is a private, loopback")
    assert str(refused.value).endswith(
        "set READINGGROUP_WEBHOOK_ALLOW_PRIVATE=1 to post to a chat server on your own network."
    )
    assert sockets == []
    with pytest.raises(BlockingIOError):
        listener.accept()  # nobody knocked


def test_name_that_resolves_to_loopback_is_refused_without_traffic(
    settings, sockets, monkeypatch
) -> None:
    # The name looks public; the address it resolves to is what counts (DNS is faked:
    # it is outside the app).
    settings.READINGGROUP_WEBHOOK_ALLOW_PRIVATE = False
    real = socket.getaddrinfo

    def resolve(host, port, *args, **kwargs):
        if host == "chat.example.org":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    with pytest.raises(delivery.DeliveryError, match=r"chat\.example\.org resolves to no public"):
        delivery.post_webhook("https://chat.example.org/hooks/abc", "hello")
    assert sockets == []


def test_connected_socket_to_a_private_peer_is_closed(settings, listener) -> None:
    # The second check, on the socket itself: whatever resolution said, the peer decides.
    settings.READINGGROUP_WEBHOOK_ALLOW_PRIVATE = False
    sock = socket.create_connection(listener.getsockname())
    refused = r"127\.0\.0\.1 is not a public address"
    with pytest.raises(webhook_targets.TargetRefused, match=refused):
        webhook_targets.check_peer(sock)
    assert sock.fileno() == -1


def test_reminder_to_a_private_webhook_fails_for_good_without_traffic(
    settings, sockets, listener, group
) -> None:
    from readinggroup.models import NotificationKind

    settings.READINGGROUP_WEBHOOK_ALLOW_PRIVATE = False
    group.webhook_url = f"http://127.0.0.1:{listener.getsockname()[1]}/hook"
    group.save()
    row = Notification.objects.create(
        kind=NotificationKind.DIGEST, channel=Channel.WEBHOOK, scope="week:2031-W01"
    )
    outcome = delivery.deliver(row.pk)
    row.refresh_from_db()
    assert (outcome.status, row.status, row.attempts) == ("failed", "failed", 1)
    assert row.last_error.startswith("The webhook URL's host is a private, loopback")
    assert sockets == []


# --- Allowed on purpose: a chat server on the group's network -------------------------------


def test_webhook_on_loopback_is_posted_when_private_addresses_are_allowed(
    webhook_server, sockets
) -> None:
    # webhook_server turns READINGGROUP_WEBHOOK_ALLOW_PRIVATE on, as its tests need.
    delivery.post_webhook(webhook_server.url, "hello")
    assert [post["json"] for post in webhook_server.posts] == [{"text": "hello"}]
    assert [address[0] for address in sockets] == ["127.0.0.1"]


# --- The test button: one message, whatever happened ----------------------------------------


@pytest.fixture
def not_http() -> Iterator[int]:
    """A loopback port that answers with something other than HTTP."""
    server = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                conn.sendall(b"SSH-2.0-OpenSSH_9.2\r\n")

    threading.Thread(target=serve, daemon=True).start()
    yield server.getsockname()[1]
    server.close()


def _closed_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as server:
        return server.getsockname()[1]


def _test_button(client: Client, url: str) -> list[str]:
    GroupSettings.objects.update_or_create(pk=1, defaults={"webhook_url": url})
    response = client.post(reverse("notifications:webhook_test"), follow=True)
    return [str(m) for m in response.context["messages"]]


def test_webhook_test_says_one_thing_whatever_answers(
    organizer_client: Client, settings, webhook_server, not_http, sockets
) -> None:
    webhook_server.status = 500
    outcomes = {
        "answers 500": _test_button(organizer_client, webhook_server.url),
        "port closed": _test_button(organizer_client, f"http://127.0.0.1:{_closed_port()}/"),
        "not HTTP": _test_button(organizer_client, f"http://127.0.0.1:{not_http}/"),
    }
    settings.READINGGROUP_WEBHOOK_ALLOW_PRIVATE = False
    outcomes["refused"] = _test_button(organizer_client, "http://10.0.0.5/hook")
    assert outcomes == {case: [WEBHOOK_TEST_FAILED] for case in outcomes}
    assert sockets[-1][0] == "127.0.0.1"  # the refused one never connected


# --- The setting ------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["maybe", "2", "private"])
def test_setup_fails_when_allow_private_is_not_boolean(tmp_path, value: str) -> None:
    env = _env(
        tmp_path,
        DEBUG="1",
        SECRET_KEY=_production_secret_key(),
        READINGGROUP_WEBHOOK_ALLOW_PRIVATE=value,
    )
    result = _setup(env)
    assert result.returncode == 1
    assert _last_line(result.stderr) == (
        "django.core.exceptions.ImproperlyConfigured: "
        f"READINGGROUP_WEBHOOK_ALLOW_PRIVATE={value!r} is not a boolean: "
        "use 1/0, true/false or yes/no."
    ), result.stderr


def test_allow_private_is_off_unless_set() -> None:
    from readinggroup import settings as configured

    assert configured.READINGGROUP_WEBHOOK_ALLOW_PRIVATE is False
