"""Twilio's webhooks: only genuine, signed requests get TwiML that opens the media stream."""

import socket
import xml.etree.ElementTree as ET

import pytest
from django.core import signing
from django.core.cache import cache
from django.utils import timezone
from twilio.request_validator import RequestValidator

from calls.models import Call
from calls.telephony.tokens import InvalidCallToken, redeem_call_token

from .conftest import ACCOUNT_SID, AUTH_TOKEN, PUBLIC_URL

CALL_SID = "CA" + "a1" * 16
STREAM_SID = "MZ" + "5" * 32


def incoming(**overrides):
    return {
        "CallSid": CALL_SID,
        "AccountSid": ACCOUNT_SID,
        "From": "+13125550147",
        "To": "+13125550100",
        "CallStatus": "ringing",
        "Direction": "inbound",
        "ApiVersion": "2010-04-01",
        **overrides,
    }


def signed_post(client, path, form, *, token=AUTH_TOKEN, url=None, headers=None):
    signature = RequestValidator(token).compute_signature(url or PUBLIC_URL + path, form)
    return client.post(path, form, HTTP_X_TWILIO_SIGNATURE=signature, headers=headers)


def ring(client, idempotency_token=None, **form):
    """Twilio's incoming-call webhook, with the idempotency token Twilio keeps across its retries."""
    headers = {"I-Twilio-Idempotency-Token": idempotency_token} if idempotency_token else None
    return signed_post(client, "/twilio/voice/", incoming(**form), headers=headers)


def stream_of(response):
    root = ET.fromstring(response.content)
    stream = root.find("Connect/Stream")
    return stream.get("url"), {p.get("name"): p.get("value") for p in stream.findall("Parameter")}


@pytest.mark.django_db
class TestIncomingCall:
    def test_it_answers_a_signed_call_with_a_media_stream(self, client, twilio):
        response = signed_post(client, "/twilio/voice/", incoming())
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/xml")
        url, parameters = stream_of(response)
        assert url == "wss://agent.example.test/ws/twilio/media/"
        assert parameters["caller"] == "+13125550147"
        assert parameters["call_token"]
        connect = ET.fromstring(response.content).find("Connect")
        assert connect.get("action") == PUBLIC_URL + "/twilio/stream-ended/"

    def test_the_token_is_good_once_for_this_call_and_caller(self, client, twilio):
        _, parameters = stream_of(signed_post(client, "/twilio/voice/", incoming()))
        token = parameters["call_token"]
        with pytest.raises(InvalidCallToken, match="another call"):
            redeem_call_token(token, call_sid="CA" + "b2" * 16, caller="+13125550147", stream_sid=STREAM_SID)
        with pytest.raises(InvalidCallToken, match="another call"):
            redeem_call_token(token, call_sid=CALL_SID, caller="+17735550199", stream_sid=STREAM_SID)
        redeem_call_token(token, call_sid=CALL_SID, caller="+13125550147", stream_sid=STREAM_SID)
        with pytest.raises(InvalidCallToken, match="already used"):
            redeem_call_token(token, call_sid=CALL_SID, caller="+13125550147", stream_sid=STREAM_SID)

    def test_a_forged_or_expired_token_is_refused(self, client, twilio):
        _, parameters = stream_of(signed_post(client, "/twilio/voice/", incoming()))
        with pytest.raises(InvalidCallToken, match="not genuine"):
            redeem_call_token(
                parameters["call_token"] + "x", call_sid=CALL_SID, caller="+13125550147", stream_sid=STREAM_SID
            )
        twilio.CALL_TOKEN_MAX_AGE_S = -1
        with pytest.raises(InvalidCallToken, match="expired"):
            redeem_call_token(parameters["call_token"], call_sid=CALL_SID, caller="+13125550147", stream_sid=STREAM_SID)
        forged = signing.dumps({"sid": CALL_SID, "caller": "+13125550147", "n": "x"}, salt="elsewhere")
        with pytest.raises(InvalidCallToken, match="not genuine"):
            redeem_call_token(forged, call_sid=CALL_SID, caller="+13125550147", stream_sid=STREAM_SID)

    def test_it_records_the_call_and_knows_the_customer(self, client, twilio, customer):
        signed_post(client, "/twilio/voice/", incoming())
        call = Call.objects.get(call_sid=CALL_SID)
        assert call.from_number == "+13125550147"
        assert call.to_number == "+13125550100"
        assert call.customer == customer
        assert call.status == Call.Status.RINGING

    def test_twilio_retrying_the_webhook_keeps_one_call(self, client, twilio):
        first = ring(client, "idem-1")
        second = ring(client, "idem-1")
        assert first.status_code == second.status_code == 200
        assert Call.objects.filter(call_sid=CALL_SID).count() == 1
        assert stream_of(first)[1]["call_token"] != stream_of(second)[1]["call_token"]

    def test_it_refuses_a_bad_signature(self, client, twilio):
        response = signed_post(client, "/twilio/voice/", incoming(), token="someone-elses-token")
        assert response.status_code == 403
        assert not Call.objects.exists()

    def test_it_refuses_a_missing_signature(self, client, twilio):
        response = client.post("/twilio/voice/", incoming())
        assert response.status_code == 403
        assert not Call.objects.exists()

    def test_it_refuses_a_signature_over_tampered_fields(self, client, twilio):
        form = incoming()
        signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_URL + "/twilio/voice/", form)
        response = client.post("/twilio/voice/", {**form, "From": "+17735550199"}, HTTP_X_TWILIO_SIGNATURE=signature)
        assert response.status_code == 403

    def test_it_checks_the_signature_against_the_public_url_not_the_proxy_host(self, client, twilio):
        response = signed_post(client, "/twilio/voice/", incoming(), url="http://testserver/twilio/voice/")
        assert response.status_code == 403

    def test_it_refuses_another_twilio_account(self, client, twilio):
        response = signed_post(client, "/twilio/voice/", incoming(AccountSid="AC" + "9" * 32))
        assert response.status_code == 403

    def test_it_refuses_get(self, client, twilio):
        assert client.get("/twilio/voice/").status_code == 405

    def test_it_rejects_a_malformed_call_sid(self, client, twilio):
        response = signed_post(client, "/twilio/voice/", incoming(CallSid="CA-not-a-sid"))
        assert response.status_code == 400
        assert not Call.objects.exists()

    @pytest.mark.parametrize("caller", ["anonymous", "client:alice", "sip:alice@example.com", "+266696687", ""])
    def test_withheld_or_odd_caller_ids_get_a_stream_without_a_customer(self, client, twilio, customer, caller):
        response = signed_post(client, "/twilio/voice/", incoming(From=caller))
        assert response.status_code == 200
        assert stream_of(response)[1]["caller"] == caller
        call = Call.objects.get(call_sid=CALL_SID)
        assert call.customer is None
        assert call.from_number == caller

    def test_without_an_auth_token_it_refuses_everything_in_production(self, client, settings):
        settings.TWILIO_AUTH_TOKEN = ""
        settings.DEBUG = False
        settings.PUBLIC_BASE_URL = PUBLIC_URL
        response = client.post("/twilio/voice/", incoming())
        assert response.status_code == 403

    def test_without_an_auth_token_debug_accepts_unsigned_calls_loudly(self, client, settings, caplog):
        settings.TWILIO_AUTH_TOKEN = ""
        settings.DEBUG = True
        settings.PUBLIC_BASE_URL = ""
        response = client.post("/twilio/voice/", incoming())
        assert response.status_code == 200
        assert stream_of(response)[0] == "ws://testserver/ws/twilio/media/"
        assert "UNSIGNED" in caplog.text


def hung_up(response):
    return response.status_code == 200 and [child.tag for child in ET.fromstring(response.content)] == ["Hangup"]


def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def take_redis_down(settings):
    """The cache pointed at a port where nothing listens."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
        }
    }


@pytest.mark.django_db
class TestReplayedWebhook:
    """Twilio signs no timestamp: a captured incoming-call webhook verifies for ever. Only the
    call's first webhook and Twilio's retries of it (same idempotency token) open a stream, and
    only until the stream starts."""

    def test_twilios_retry_before_the_stream_starts_connects_the_caller_with_a_fresh_token(self, client, twilio):
        ring(client, "idem-1")
        retry = ring(client, "idem-1")
        url, parameters = stream_of(retry)
        assert url == "wss://agent.example.test/ws/twilio/media/"
        redeem_call_token(parameters["call_token"], call_sid=CALL_SID, caller="+13125550147", stream_sid=STREAM_SID)

    def test_the_retry_is_known_after_the_cache_forgot_everything(self, client, twilio):
        ring(client, "idem-1")
        cache.clear()  # Redis restarted or evicted: the first answer's stream token is gone too
        _, parameters = stream_of(ring(client, "idem-1"))
        redeem_call_token(parameters["call_token"], call_sid=CALL_SID, caller="+13125550147", stream_sid=STREAM_SID)
        assert hung_up(ring(client, "idem-2"))

    @pytest.mark.parametrize("token", ["idem-1", "idem-2", None])
    def test_a_replay_after_the_stream_started_is_hung_up(self, client, twilio, token):
        ring(client, "idem-1")
        Call.objects.filter(call_sid=CALL_SID).update(stream_sid="MZ" + "5" * 32, status=Call.Status.IN_PROGRESS)
        assert hung_up(ring(client, token))

    @pytest.mark.parametrize("status", [status.value for status in Call.TERMINAL_STATUSES])
    def test_a_replay_after_twilio_reported_the_end_is_hung_up(self, client, twilio, status):
        ring(client, "idem-1")
        signed_post(client, "/twilio/status/", {"CallSid": CALL_SID, "AccountSid": ACCOUNT_SID, "CallStatus": status})
        assert hung_up(ring(client, "idem-1"))

    def test_a_replay_after_the_call_was_filed_is_hung_up(self, client, twilio):
        ring(client, "idem-1")
        Call.objects.filter(call_sid=CALL_SID).update(ended_at=timezone.now())
        assert hung_up(ring(client, "idem-1"))

    @pytest.mark.parametrize("token", ["idem-2", None])
    def test_another_request_before_the_stream_starts_is_hung_up(self, client, twilio, token):
        ring(client, "idem-1")
        assert hung_up(ring(client, token))
        assert Call.objects.get(call_sid=CALL_SID).status == Call.Status.RINGING

    def test_a_first_webhook_without_a_token_connects_but_cannot_be_retried(self, client, twilio):
        assert stream_of(ring(client))[1]["call_token"]
        assert hung_up(ring(client))

    def test_each_call_keeps_its_own_token(self, client, twilio):
        other = "CA" + "b2" * 16
        ring(client, "idem-1")
        assert stream_of(
            signed_post(
                client, "/twilio/voice/", incoming(CallSid=other), headers={"I-Twilio-Idempotency-Token": "idem-2"}
            )
        )[1]["call_token"]
        assert stream_of(ring(client, "idem-1"))[1]["call_token"]
        assert hung_up(ring(client, "idem-2"))

    def test_a_replay_is_refused_in_one_query_without_the_cache(self, client, twilio, django_assert_num_queries):
        ring(client, "idem-1")
        Call.objects.filter(call_sid=CALL_SID).update(stream_sid="MZ" + "5" * 32)
        take_redis_down(twilio)
        with django_assert_num_queries(1):
            assert hung_up(ring(client, "idem-1"))


@pytest.mark.django_db
class TestStatusCallback:
    def test_it_records_the_final_status_and_duration(self, client, twilio):
        signed_post(client, "/twilio/voice/", incoming())
        form = {"CallSid": CALL_SID, "AccountSid": ACCOUNT_SID, "CallStatus": "completed", "CallDuration": "74"}
        response = signed_post(client, "/twilio/status/", form)
        assert response.status_code == 204
        call = Call.objects.get(call_sid=CALL_SID)
        assert call.status == Call.Status.COMPLETED
        assert call.duration_s == 74
        assert call.ended_at is not None

    def test_it_refuses_an_unsigned_status(self, client, twilio):
        signed_post(client, "/twilio/voice/", incoming())
        response = client.post("/twilio/status/", {"CallSid": CALL_SID, "CallStatus": "completed"})
        assert response.status_code == 403
        assert Call.objects.get(call_sid=CALL_SID).status == Call.Status.RINGING

    def test_a_status_for_an_unknown_call_or_an_odd_status_changes_nothing(self, client, twilio):
        signed_post(client, "/twilio/voice/", incoming())
        unknown = {"CallSid": "CA" + "c3" * 16, "CallStatus": "completed", "CallDuration": "3"}
        assert signed_post(client, "/twilio/status/", unknown).status_code == 204
        odd = {"CallSid": CALL_SID, "CallStatus": "exploded", "CallDuration": "many"}
        assert signed_post(client, "/twilio/status/", odd).status_code == 204
        call = Call.objects.get(call_sid=CALL_SID)
        assert (call.status, call.duration_s) == (Call.Status.RINGING, None)


@pytest.mark.django_db
class TestStreamEnded:
    @pytest.mark.parametrize("reason", ["agent_ended", "silence", "max_call_length"])
    def test_a_call_the_agent_ended_hangs_up(self, client, twilio, reason):
        twilio.SHOP_ADVISOR_NUMBER = "+13125550123"
        signed_post(client, "/twilio/voice/", incoming())
        Call.objects.filter(call_sid=CALL_SID).update(end_reason=reason)  # noted before the stream closed
        response = signed_post(client, "/twilio/stream-ended/", {"CallSid": CALL_SID})
        root = ET.fromstring(response.content)
        assert [child.tag for child in root] == ["Hangup"]

    @pytest.mark.parametrize("reason", ["", "stream_error"])
    def test_a_stream_that_ended_under_the_caller_puts_them_through_to_an_advisor(self, client, twilio, reason):
        twilio.SHOP_ADVISOR_NUMBER = "+13125550123"
        signed_post(client, "/twilio/voice/", incoming())
        Call.objects.filter(call_sid=CALL_SID).update(end_reason=reason)
        response = signed_post(client, "/twilio/stream-ended/", {"CallSid": CALL_SID})
        root = ET.fromstring(response.content)
        assert [child.tag for child in root] == ["Say", "Dial"]

    def test_when_the_agent_failed_the_caller_is_put_through_to_an_advisor(self, client, twilio):
        twilio.SHOP_ADVISOR_NUMBER = "+13125550123"
        signed_post(client, "/twilio/voice/", incoming())
        Call.objects.filter(call_sid=CALL_SID).update(end_reason="agent_error: could not start")
        response = signed_post(client, "/twilio/stream-ended/", {"CallSid": CALL_SID})
        root = ET.fromstring(response.content)
        assert [child.tag for child in root] == ["Say", "Dial"]
        assert root.find("Dial/Number").text == "+13125550123"

    def test_it_refuses_an_unsigned_request(self, client, twilio):
        assert client.post("/twilio/stream-ended/", {"CallSid": CALL_SID}).status_code == 403
