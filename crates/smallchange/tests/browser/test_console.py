"""The operators' console in real headless Chromium: the demo admin's one-time set-up link
leads through a password and an authenticator to the overview, signed in; signing out and
in again takes email, password and a fresh code; a wrong password is answered in words and
keeps the email typed; the set-up link works once. Korean at desktop size, English on a
phone, every page checked by `look_at` (no sideways scroll, axe, weight, screenshot).

Run by scripts/test (scripts/lib/browser.sh), which sets SMALLCHANGE_BIN and SCREENSHOTS."""

import re

import pytest

from conftest import demo_server, look_at, new_page, totp_now, words

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def demo():
    with demo_server() as api:
        yield api


def setup_link(demo):
    return re.search(r"console: set up the demo admin (\S+) .*: (http\S+)", demo.printed).groups()


def test_the_set_up_link_leads_to_the_overview_and_signing_in_again_takes_all_three(browser, demo):
    email, link = setup_link(demo)
    ko = lambda message_id, **args: words("ko", message_id, **args)
    page = new_page(browser, "ko", "desktop")
    page.goto(link)
    assert page.get_by_role("heading", name=ko("console-setup-title")).is_visible()
    look_at(page, "console-setup-password-ko-desktop")
    page.get_by_label(ko("console-new-password"), exact=True).fill("short")
    page.get_by_label(ko("console-new-password-again")).fill("short")
    # The browser's own check stops a password under 12 characters before it is sent.
    assert page.evaluate("document.querySelector('#password').validity.tooShort") is True
    page.get_by_label(ko("console-new-password"), exact=True).fill(PASSWORD)
    page.get_by_label(ko("console-new-password-again")).fill(PASSWORD)
    page.get_by_role("button", name=ko("console-continue")).click()
    assert page.get_by_role("heading", name=ko("console-setup-authenticator-title")).is_visible()
    look_at(page, "console-setup-authenticator-ko-desktop")
    secret = page.locator("#secret").inner_text().strip()
    page.get_by_label(ko("console-code")).fill("000000")
    page.get_by_role("button", name=ko("console-finish-setup")).click()
    assert ko("error-setup_code_invalid") in page.locator(".error-summary").inner_text()
    page.get_by_label(ko("console-code")).fill(totp_now(secret))
    page.get_by_role("button", name=ko("console-finish-setup")).click()
    assert page.url.endswith("/console/"), page.url
    assert email in page.locator(".who").inner_text()
    look_at(page, "console-overview-ko-desktop")
    # The demo's figures: a week back, and the review queue from the menu.
    page.get_by_label(ko("console-period")).select_option("7d")
    page.get_by_role("button", name=ko("console-period-show")).click()
    assert "period=7d" in page.url, page.url
    look_at(page, "console-overview-7d-ko-desktop")
    page.get_by_role("link", name=ko("console-nav-review")).click()
    assert page.url.endswith("/console/review"), page.url
    look_at(page, "console-review-queue-ko-desktop")
    # Back to the used link: it says so, in words.
    page.goto(link)
    assert page.get_by_role("heading", name=ko("console-link-gone-title")).is_visible()
    look_at(page, "console-link-gone-ko-desktop")

    en = lambda message_id, **args: words("en", message_id, **args)
    phone = new_page(browser, "en", "phone")
    phone.goto(demo.base + "/console/")
    assert phone.url.endswith("/console/sign-in"), phone.url
    look_at(phone, "console-sign-in-en-phone")
    phone.get_by_label(en("console-email")).fill(email)
    phone.get_by_label(en("console-password")).fill("not the password")
    phone.get_by_label(en("console-code")).fill(totp_now(secret, ahead_s=30))
    phone.get_by_role("button", name=en("console-sign-in")).click()
    assert en("error-sign_in_failed") in phone.locator(".error-summary").inner_text()
    assert phone.get_by_label(en("console-email")).input_value() == email
    assert phone.get_by_label(en("console-password")).input_value() == ""
    look_at(phone, "console-sign-in-failed-en-phone")
    phone.get_by_label(en("console-password")).fill(PASSWORD)
    phone.get_by_label(en("console-code")).fill(totp_now(secret, ahead_s=30))
    phone.get_by_role("button", name=en("console-sign-in")).click()
    assert phone.url.endswith("/console/"), phone.url
    look_at(phone, "console-overview-en-phone")
    phone.goto(demo.base + "/console/review")
    look_at(phone, "console-review-queue-en-phone")
    phone.get_by_role("button", name=en("sign-out")).click()
    phone.goto(demo.base + "/console/")
    assert phone.url.endswith("/console/sign-in"), phone.url
