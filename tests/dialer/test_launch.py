"""Launching a dial session: the dialog (who, who not and why), the POST through the one gate to
PhoneBurner (the fake, over real HTTP), the redirect check, and failures that leave nothing live."""

from __future__ import annotations

import hashlib
import json
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from contacts.models import Contact
from dialer.models import DialSession
from dialer.services import callback_secret_hash
from tests.dialer.conftest import deliver
from tests.dialer.phoneburner_helpers import DialerBrowser

pytestmark = pytest.mark.django_db


def test_the_dialog_says_who_will_be_dialled_and_who_is_left_out_and_why(
    fake_pb, alice, link, signed_in, make_contact, franchise_a
):
    link(alice)
    ann = make_contact(franchise_a, "Ann Lee")
    dnc = make_contact(franchise_a, "Dee Nope", do_not_call=True)
    nophone = Contact.objects.create(franchise=franchise_a, first_name="Noah", last_name="Phoneless")
    page = signed_in(alice).get(f"/dialer/new/?contact={ann.pk}&contact={dnc.pk}&contact={nophone.pk}")
    html = page.content.decode()
    assert page.status_code == 200
    assert "<strong>1</strong> person will be dialled" in html
    assert html.count('data-testid="dial-excluded"') == 2
    assert 'Dee Nope</a>: <span class="pill pill--warn">Do not call</span>' in html
    assert 'Noah Phoneless</a>: <span class="pill pill--warn">No phone number</span>' in html
    assert f'name="contact" value="{ann.pk}"' in html and f'name="contact" value="{dnc.pk}"' not in html
    assert "Water damage" in html  # the folders come from PhoneBurner


def test_the_dialog_takes_everyone_with_a_tag(alice, link, signed_in, make_contact, franchise_a, fake_pb):
    link(alice)
    ann, bo = make_contact(franchise_a, "Ann Lee", tags=["VIP"]), make_contact(franchise_a, "Bo Park", tags=["vip"])
    make_contact(franchise_a, "Cy Cole", tags=["Other"])
    html = signed_in(alice).get("/dialer/new/?tag=VIP").content.decode()
    assert "<strong>2</strong> people will be dialled" in html
    assert f'value="{ann.pk}"' in html and f'value="{bo.pk}"' in html


def test_the_dialog_tells_an_agent_without_phoneburner_to_link_it(bob, signed_in, make_contact, franchise_a):
    ann = make_contact(franchise_a, "Ann Lee")
    html = signed_in(bob).get(f"/dialer/new/?contact={ann.pk}").content.decode()
    assert "Link your PhoneBurner account first" in html
    assert 'data-testid="launch-form"' not in html


def test_launching_starts_the_session_in_phoneburner_and_sends_the_browser_there(
    fake_pb, alice, launched, make_contact, franchise_a
):
    ann = make_contact(franchise_a, "Ann Lee", phone="+15552010001", primary_email="ann@example.com")
    bo = make_contact(franchise_a, "Bo Park", phone="+442079460000")
    session, redirect_url = launched(alice, [ann, bo], folder="11991")

    assert redirect_url.startswith(f"{fake_pb.base}/index/sso_key_login?")
    assert session.status == DialSession.Status.LAUNCHED
    assert (session.franchise, session.created_by, session.mode, session.folder_id) == (
        franchise_a,
        alice,
        "preview",
        "11991",
    )
    assert set(session.contacts.all()) == {ann, bo}
    (sent,) = fake_pb.sessions.values()
    assert [(c.lead_id, c.phone, c.first_name, c.email, c.category_id) for c in sent.contacts] == [
        (str(ann.pk), "5552010001", "Ann", "ann@example.com", "11991"),
        (str(bo.pk), "+442079460000", "Bo", "", "11991"),
    ]
    assert sent.custom_data == {"breesy_session": str(session.pk)}
    assert sent.preview_mode == 1
    assert sorted(sent.callbacks) == ["api_callbegin", "api_calldone", "api_contact_displayed"]
    for kind, url in sent.callbacks.items():
        parts = urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}" == "http://testserver"  # SITE_URL
        _, hooks, pb, session_id, secret, path, _ = parts.path.split("/")
        assert (hooks, pb, session_id) == ("hooks", "phoneburner", str(session.pk))
        assert (
            path
            == {"api_callbegin": "callbegin", "api_contact_displayed": "contact-displayed", "api_calldone": "calldone"}[
                kind
            ]
        )
        assert len(secret) >= 22  # ≥128 bits of url-safe base64 (we use 256)
        assert session.callback_secret_hash == hashlib.sha256(secret.encode()).hexdigest() != secret


def test_a_session_launched_with_htmx_redirects_by_header(fake_pb, alice, link, signed_in, make_contact, franchise_a):
    link(alice)
    ann = make_contact(franchise_a, "Ann Lee")
    response = signed_in(alice).post("/dialer/new/", {"contact": [ann.pk], "mode": "power"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response["HX-Redirect"].startswith(f"{fake_pb.base}/index/sso_key_login?")
    assert list(fake_pb.sessions.values())[0].preview_mode == 0


def test_the_launch_page_lets_its_form_go_on_to_phoneburner_and_nowhere_else(
    fake_pb, alice, link, signed_in, make_contact, franchise_a
):
    link(alice)
    ann = make_contact(franchise_a, "Ann Lee")
    page = signed_in(alice).get(f"/dialer/new/?contact={ann.pk}")
    policy = page["Content-Security-Policy"]
    assert f"form-action 'self' {fake_pb.base}" in policy
    assert "script-src 'self'" in policy


def test_the_launch_form_needs_its_csrf_token(fake_pb, alice, link, signed_in, make_contact, franchise_a):
    link(alice)
    ann = make_contact(franchise_a, "Ann Lee")
    response = signed_in(alice, enforce_csrf_checks=True).post("/dialer/new/", {"contact": [ann.pk], "mode": "preview"})
    assert response.status_code == 403
    assert not DialSession.objects.exists() and not fake_pb.sessions


def test_the_gate_runs_again_at_launch(fake_pb, alice, link, signed_in, make_contact, franchise_a):
    link(alice)
    ann = make_contact(franchise_a, "Ann Lee")
    dialog = signed_in(alice).get(f"/dialer/new/?contact={ann.pk}")
    assert 'data-testid="launch-form"' in dialog.content.decode()
    Contact.objects.filter(pk=ann.pk).update(do_not_call=True)  # marked while the dialog was open
    response = signed_in(alice).post("/dialer/new/", {"contact": [ann.pk], "mode": "preview"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "Nobody left to dial" in html and 'data-testid="dial-excluded"' in html
    assert not DialSession.objects.exists() and not fake_pb.sessions


def test_a_contact_already_in_an_open_session_is_not_dialled_twice(
    fake_pb, alice, launched, signed_in, make_contact, franchise_a
):
    ann, bo = make_contact(franchise_a, "Ann Lee"), make_contact(franchise_a, "Bo Park")
    launched(alice, [ann])
    html = signed_in(alice).get(f"/dialer/new/?contact={ann.pk}&contact={bo.pk}").content.decode()
    assert 'Ann Lee</a>: <span class="pill pill--warn">Already in an open dial session</span>' in html
    assert "End it on its page" in html
    second, _ = launched(alice, [ann, bo])
    assert list(second.contacts.all()) == [bo]
    assert second.excluded == [{"contact": ann.pk, "name": "Ann Lee", "reason": "Already in an open dial session"}]


@pytest.mark.parametrize("endpoint", ["/dialer/new/?contact={pk}", "post"])
def test_another_franchises_contact_ids_are_refused(
    fake_pb, alice, link, signed_in, make_contact, franchise_a, franchise_b, endpoint
):
    link(alice)
    mine, theirs = make_contact(franchise_a, "Ann Lee"), make_contact(franchise_b, "Cy Cole")
    client = signed_in(alice)
    if endpoint == "post":
        response = client.post("/dialer/new/", {"contact": [mine.pk, theirs.pk], "mode": "preview"})
    else:
        response = client.get(endpoint.format(pk=theirs.pk))
    assert response.status_code == 404
    assert not DialSession.objects.exists() and not fake_pb.sessions


def test_bad_input_is_a_400_that_starts_nothing(fake_pb, alice, link, signed_in, make_contact, franchise_a):
    link(alice)
    ann = make_contact(franchise_a, "Ann Lee")
    client = signed_in(alice)
    assert client.post("/dialer/new/", {"contact": ["x"], "mode": "preview"}).status_code == 400
    assert client.post("/dialer/new/", {"contact": [ann.pk], "mode": "turbo"}).status_code == 400
    assert client.post("/dialer/new/", {"mode": "preview"}).status_code == 400
    assert client.get("/dialer/new/?contact=abc").status_code == 404
    assert client.get(f"/dialer/new/?contact={2**63}&call=1").status_code == 404  # beyond any id
    assert client.get("/dialer/new/?call=99999999999999999999").status_code == 404
    assert not DialSession.objects.exists() and not fake_pb.sessions


# --- When PhoneBurner fails ------------------------------------------------------------------------


def launch_and_expect_failure(client, contact, status=502) -> str:
    response = client.post("/dialer/new/", {"contact": [contact.pk], "mode": "preview"})
    assert response.status_code == status
    return response.content.decode()


def assert_nothing_left_live(client, session: DialSession, contact) -> None:
    session.refresh_from_db()
    assert session.status == DialSession.Status.FAILED
    assert session.callback_secret_hash == ""
    body = json.dumps({"call_id": "1", "ds_id": "2", "lead_id": str(contact.pk)})
    assert (
        client.post(
            f"/hooks/phoneburner/{session.pk}/anything/callbegin/", body, content_type="application/json"
        ).status_code
        == 404
    )
    dialog = client.get(f"/dialer/new/?contact={contact.pk}").content.decode()
    assert "<strong>1</strong> person will be dialled" in dialog  # free to be dialled again


def test_a_refused_token_fails_the_session_says_to_relink_and_leaves_nothing_live(
    fake_pb, alice, link, signed_in, make_contact, franchise_a
):
    link(alice, token="revoked-token")
    ann = make_contact(franchise_a, "Ann Lee")
    client = signed_in(alice)
    html = launch_and_expect_failure(client, ann)
    assert "relink your account" in html
    session = DialSession.objects.get()
    assert "relink" in session.error
    assert_nothing_left_live(client, session, ann)


def test_a_redirect_to_somewhere_other_than_phoneburner_is_refused(
    fake_pb, alice, link, signed_in, make_contact, franchise_a, monkeypatch
):
    link(alice)
    ann = make_contact(franchise_a, "Ann Lee")
    original = fake_pb._create_session

    def elsewhere(member, body, host):
        status, answer = original(member, body, host)
        answer["dialsessions"]["redirect_url"] = "https://evil.example.com/index/sso_key_login?x=1"
        return status, answer

    monkeypatch.setattr(fake_pb, "_create_session", elsewhere)
    client = signed_in(alice)
    html = launch_and_expect_failure(client, ann)
    assert "not PhoneBurner" in html and "evil.example.com" not in html
    assert_nothing_left_live(client, DialSession.objects.get(), ann)


@pytest.mark.parametrize(
    "answer, message",
    [
        (httpx.Response(500, text="oops"), "having trouble"),
        (httpx.Response(201, text="<html>not json</html>"), "not JSON"),
        (
            httpx.Response(201, json={"http_status": 201, "dialsessions": {"redirect_url": None}}),
            "did not return a link",
        ),
        (httpx.ReadTimeout("slow"), "may have started anyway"),
    ],
    ids=["5xx", "garbage", "no link", "timeout"],
)
def test_phoneburner_failing_fails_the_session_with_the_reason(
    alice, link, signed_in, make_contact, franchise_a, settings, answer, message
):
    import respx

    settings.PHONEBURNER_BASE_URL = "https://pb.example.test"
    link(alice)
    ann = make_contact(franchise_a, "Ann Lee")
    client = signed_in(alice)
    with respx.mock(assert_all_called=False) as mock:
        route = mock.post("https://pb.example.test/rest/1/dialsession")
        route.side_effect = [answer]
        mock.get("https://pb.example.test/rest/1/folders").respond(500)
        html = launch_and_expect_failure(client, ann)
        assert route.call_count == 1  # a session POST is never retried
        assert message in html
        session = DialSession.objects.get()
        assert message in session.error
        assert_nothing_left_live(client, session, ann)


# --- From the queue: callers with no contact yet ---------------------------------------------------


def test_a_caller_without_a_contact_gets_one_when_the_session_is_launched(
    fake_pb, alice, link, signed_in, make_call, franchise_a, location_a
):
    link(alice)
    call = make_call(
        franchise_a,
        caller_id="+15553330001",
        customer_name="Rita Moreno",
        customer_email="rita@example.com",
        location=location_a,
    )
    client = signed_in(alice)
    dialog = client.get(f"/dialer/new/?call={call.pk}").content.decode()
    assert "no contact yet" in dialog and f'name="call" value="{call.pk}"' in dialog
    response = client.post("/dialer/new/", {"call": [call.pk], "mode": "preview"})
    assert response.status_code == 303
    rita = Contact.objects.get(franchise=franchise_a, primary_phone="+15553330001")
    assert (rita.first_name, rita.last_name, rita.primary_email) == ("Rita", "Moreno", "rita@example.com")
    assert list(rita.locations.all()) == [location_a]
    assert list(DialSession.objects.get().contacts.all()) == [rita]


def test_the_fake_dialer_plays_the_launched_session_and_its_callbacks_land(
    fake_pb, alice, launched, make_contact, franchise_a
):
    ann = make_contact(franchise_a, "Ann Lee")
    session, redirect_url = launched(alice, [ann])
    assert parse_qs(urlsplit(redirect_url).query)["redirect"] == ["/phoneburner/api_begin_dialsession"]
    browser = DialerBrowser(redirect_url)
    assert browser.contact_name() == "Ann Lee"
    browser.dispose("Left Message", note="Will call back Tuesday")
    assert deliver(fake_pb) == [200, 200, 200]
    session.refresh_from_db()
    (call,) = session.calls.all()
    assert (call.contact, call.disposition, call.family) == (ann, "Left Message", "voicemail")
    assert session.status == DialSession.Status.FINISHED
    assert session.phoneburner_session_id == next(iter(fake_pb.sessions))
    assert callback_secret_hash("wrong") != session.callback_secret_hash
