"""Words for people: what each verdict says in a notice and in the menu, without jargon, and the
sign-in page one click away."""

from __future__ import annotations

import re

import pytest

from tests.test_monitor import CONTROLS_OK, INSTAGRAM_OK, MESSENGER_OK, Driver, ctl, p, verdict_of
from tests.test_verdict import CHAT_502, MESSENGER_TIMES_OUT, PRODUCTS, meta_obs, obs_of, page
from traywatch.model import Layer, Observations, Outcome
from traywatch.notices import NoteKind
from traywatch.verdict import VerdictKind, decide
from traywatch.words import say

JARGON = re.compile(r"HTTP|\b\d{3}\b|\blayer\b|\btls\b|\bdns\b(?! \))|\d+/\d+ checks|\.com|\.net", re.IGNORECASE)


def _down(probe: object) -> str:
    return say(verdict_of((probe, MESSENGER_OK[1], *INSTAGRAM_OK)))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("probe", "words"),
    [
        (
            p("messenger", "www.messenger.com", Outcome.HTTP_STATUS, status=503),
            "Messenger's servers are answering with an error.",
        ),
        (p("messenger", "www.messenger.com", Outcome.TIMEOUT, Layer.HTTP), "Messenger's servers are not answering."),
        (
            p("messenger", "www.messenger.com", Outcome.REFUSED, Layer.TCP),
            "Messenger's servers are turning connections away.",
        ),
        (
            p("messenger", "www.messenger.com", Outcome.CERT_EXPIRED, Layer.TLS),
            "Messenger's servers can't prove who they are.",
        ),
        (
            p("messenger", "www.messenger.com", Outcome.TLS_ERROR, Layer.TLS),
            "Messenger's servers can't prove who they are.",
        ),
    ],
)
def test_an_outage_is_said_in_plain_words_and_says_your_internet_works(probe: object, words: str) -> None:
    text = _down(probe)
    assert text == f"{words} Your internet is working."
    assert not JARGON.search(text)


def test_a_service_is_told_by_its_first_failing_check() -> None:
    # The web front comes first in a service's checks: what it does is what people see first.
    chat_times_out = p("messenger", "edge-chat.messenger.com", Outcome.TIMEOUT, Layer.TLS)
    front_503 = p("messenger", "www.messenger.com", Outcome.HTTP_STATUS, status=503)
    assert say(verdict_of((front_503, chat_times_out, *INSTAGRAM_OK))) == (
        "Messenger's servers are answering with an error. Your internet is working."
    )


def test_a_service_whose_failures_lost_packets_explain_is_not_told_as_failing() -> None:
    controls = (*CONTROLS_OK[:4], ctl("1.1.1.1", Outcome.TIMEOUT))
    instagram_503 = p("instagram", "www.instagram.com", Outcome.HTTP_STATUS, status=503)
    verdict = decide(obs_of((MESSENGER_TIMES_OUT, MESSENGER_OK[1], instagram_503, INSTAGRAM_OK[1]), controls))
    assert verdict.kind is VerdictKind.SERVICE_DOWN
    assert say(verdict) == "Instagram's servers are answering with an error. Your internet is working."


def test_chats_failing_behind_a_working_site_are_said_so() -> None:
    obs = Observations(CHAT_502 + INSTAGRAM_OK, CONTROLS_OK, (), 2500, service_names=(("messenger", "Messenger"),))
    assert say(decide(obs)) == "Messenger's site opens, but its chats don't connect. Your internet is working."


def test_meta_confirming_is_added_in_words() -> None:
    report = page(("messenger", "Messenger Platform", "Major disruptions"))
    obs = Observations(
        CHAT_502 + INSTAGRAM_OK,
        CONTROLS_OK,
        (),
        2500,
        service_names=(("messenger", "Messenger"),),
        status_page=report,
        status_products=PRODUCTS,
    )
    text = say(decide(obs))
    assert text.endswith("Meta's status page confirms: Messenger Platform — major disruptions.")


@pytest.mark.parametrize(
    ("controls", "kind", "words"),
    [
        (
            tuple(ctl(c.host, Outcome.TIMEOUT, Layer.TCP) for c in CONTROLS_OK),
            VerdictKind.OFFLINE,
            "Your device isn't reaching the internet. Check the wifi",
        ),
        (
            tuple(ctl(c.host, Outcome.REDIRECT_OFFSITE, status=302) for c in CONTROLS_OK),
            VerdictKind.CAPTIVE_PORTAL,
            "Open the sign-in page to get online",
        ),
    ],
)
def test_your_side_leads_with_what_to_do(controls: tuple[object, ...], kind: VerdictKind, words: str) -> None:
    verdict = verdict_of(MESSENGER_OK + INSTAGRAM_OK, controls)  # type: ignore[arg-type]
    assert verdict.kind is kind
    assert say(verdict).startswith(words)


def test_a_wrong_clock_says_how_to_set_it() -> None:
    expired = tuple(
        p(s.target_id, s.host, Outcome.CERT_EXPIRED, Layer.TLS, role=s.role) for s in MESSENGER_OK + INSTAGRAM_OK
    )
    verdict = verdict_of(expired, CONTROLS_OK)
    assert verdict.kind is VerdictKind.CLOCK
    text = say(verdict)
    assert text.endswith("Set the date and time automatically in your system settings.")
    assert not JARGON.search(text)


def test_a_blocked_service_is_said_to_be_this_networks_doing() -> None:
    sinkholed = p("messenger", "www.messenger.com", Outcome.SINKHOLED, Layer.DNS, addresses=("0.0.0.0",))
    text = _down(sinkholed)
    assert text.startswith("This network is blocking Messenger") and "not an outage" in text


def test_the_portal_notice_offers_the_sign_in_page_with_the_portals_own_address() -> None:
    from traywatch.notify import ACTION_PORTAL, _actions_for
    from traywatch.ui.notifications import _NOTICE_ICONS
    from traywatch.view import Display

    portal = tuple(
        ctl(c.host, Outcome.REDIRECT_OFFSITE, status=302, detail="302 redirect to login.portal.example")
        for c in CONTROLS_OK
    )
    portal = tuple(
        type(c)(**{**c.__dict__, "redirect_to": "http://login.portal.example/?next=x"})
        for c in portal  # type: ignore[misc]
    )
    verdict = verdict_of(MESSENGER_OK + INSTAGRAM_OK, portal)  # type: ignore[arg-type]
    assert verdict.portal_url == "http://login.portal.example/?next=x"
    d = Driver()
    for _ in range(3):
        d.cycle(verdict)
    (note,) = d.shown.notes
    assert note.kind is NoteKind.PORTAL and note.title == "This network wants you to sign in"
    assert note.body.startswith("Open the sign-in page")
    assert _actions_for(note)[:2] == [ACTION_PORTAL, "Open sign-in page"]
    assert _NOTICE_ICONS[note.kind] is Display.CAPTIVE  # the blue shield, as in the tray


def test_a_redirect_to_something_that_is_not_a_web_page_is_not_offered() -> None:
    portal = tuple(
        type(c)(**{**c.__dict__, "redirect_to": "javascript:alert(1)"})  # type: ignore[misc]
        for c in (ctl(c.host, Outcome.REDIRECT_OFFSITE, status=302) for c in CONTROLS_OK)
    )
    assert verdict_of(MESSENGER_OK + INSTAGRAM_OK, portal).portal_url is None  # type: ignore[arg-type]


def test_your_internet_works_with_one_check_failing_and_not_with_two() -> None:
    failing = p("messenger", "www.messenger.com", Outcome.HTTP_STATUS, status=503)
    one_off = (*CONTROLS_OK, ctl("nmcheck2.gnome.org", Outcome.RESET))
    assert say(verdict_of((failing, MESSENGER_OK[1], *INSTAGRAM_OK), one_off)).endswith("Your internet is working.")
    two_off = (*CONTROLS_OK[:4], ctl("1.1.1.1", Outcome.TIMEOUT), ctl("nmcheck2.gnome.org", Outcome.RESET))
    said = say(verdict_of((failing, MESSENGER_OK[1], *INSTAGRAM_OK), two_off))
    assert said.endswith("Your internet seems patchy too, so part of it may be on your side.")


def test_at_most_two_services_are_described_in_a_notice() -> None:
    names = (("messenger", "Messenger"), ("instagram", "Instagram"), ("whatsapp", "WhatsApp"))
    failing = tuple(
        p(sid, f"www.{sid}.com", Outcome.HTTP_STATUS, status=503) for sid in ("messenger", "instagram", "whatsapp")
    )
    said = say(decide(Observations(failing, CONTROLS_OK, (), 2500, service_names=names)))
    assert said == (
        "Messenger's servers are answering with an error. Instagram's servers are answering with an error. "
        "Your internet is working."
    )


@pytest.mark.parametrize(
    ("reported", "words"),
    [
        ((("messenger", "Messenger Platform", "Major disruptions"),), "Messenger still works from here"),
        (
            (
                ("messenger", "Messenger Platform", "Major disruptions"),
                ("ig-messenger", "Instagram Messaging", "Major disruptions"),
            ),
            "Messenger and Instagram still work from here",
        ),
    ],
)
def test_meta_reporting_what_works_here_is_said_so(reported: tuple[tuple[str, str, str], ...], words: str) -> None:
    verdict = decide(meta_obs(MESSENGER_OK + INSTAGRAM_OK, page(*reported)))
    assert verdict.kind is VerdictKind.META_REPORTS
    assert say(verdict).startswith(f"{words}, but Meta says it has problems.")


def test_a_slow_service_is_said_to_answer_slowly() -> None:
    slow = p("messenger", "www.messenger.com", ms=4000)
    assert say(verdict_of((slow, MESSENGER_OK[1], *INSTAGRAM_OK))) == (
        "Messenger answers, but slowly. Your internet is working."
    )
