"""Settings, destinations and dead ends in real headless Chromium, at phone size, in Korean
and English: the authenticator app is on only once a code from it proves the scan (leaving
the page changes nothing; a wrong code spends a try and a reload nothing); destinations read
as banks' and e-wallets' names, "Added" after adding one, and auto-cash-out offers no closed
one; a wrong address keeps the navigation; the favicon; and junho, whose identity is not
checked, is told how to get it checked before anything asks where to send money.

Run by scripts/test (scripts/lib/browser.sh), which sets SMALLCHANGE_BIN, SCREENSHOTS and
SMALLCHANGE_TEST_POSTGRES_URL (the authenticator's flow runs on PostgreSQL too when it is
set)."""

import os
import re
import time
import urllib.request
import uuid

import pytest

from conftest import demo_server, fresh_postgres_database, look_at, new_page, open_wallet, totp_now, words

LANGS = ["ko", "en"]
BACKENDS = ["sqlite"] + (["postgres"] if os.environ.get("SMALLCHANGE_TEST_POSTGRES_URL") else [])


@pytest.fixture(scope="module")
def demo():
    with demo_server() as api:
        yield api


def person(demo, money=50_000):
    """A new user with a checked identity, a Shinhan Bank account and `money` withdrawable."""
    tag = uuid.uuid4().hex[:8]
    user = demo.call("POST", "/v1/users", {"external_id": f"settings-{tag}",
                                           "phone": f"+8210{int(tag, 16) % 100_000_000:08d}"})["id"]
    demo.call("POST", f"/v1/users/{user}/kyc", {"level": "verified", "legal_name": "김민지",
                                               "birth_date": "1995-04-12", "document_ref": f"id-{tag}"})
    demo.call("POST", f"/v1/users/{user}/payout-destinations",
              {"type": "bank_account", "bank_code": "088", "account_number": "110-123-456789",
               "holder_name": "김민지"})
    demo.call("POST", f"/v1/users/{user}/topups", {"source": "bank_transfer", "amount": money, "currency": "KRW",
                                                  "reference": f"settings-{tag}"})
    return user


def totp_enrolled(demo, user):
    return demo.call("GET", f"/v1/users/{user}")["totp_enrolled"]


def open_authenticator(page, demo, lang):
    """Settings → "set up an authenticator app": the page with its QR code; its key."""
    page.goto(demo.base + "/wallet/settings")
    page.get_by_role("button", name=words(lang, "totp-set-up")).click()
    assert page.url.endswith("/wallet/settings/authenticator"), page.url
    assert page.locator("img[alt]").first.get_attribute("src").startswith("data:image/svg+xml")
    return page.locator(".secret code").inner_text()


def to_the_code_page(page, demo, lang, amount="10000"):
    """Cashes `amount` out to the Shinhan account, up to the page that asks for the code."""
    page.goto(demo.base + "/wallet/cash-out")
    page.get_by_label(re.compile(re.escape(words(lang, "bank-088")))).check()
    page.get_by_label(words(lang, "cash-out-some")).check()
    page.get_by_label(words(lang, "cash-out-amount-label")).fill(amount)
    page.get_by_role("button", name=words(lang, "cash-out-see-fees")).click()
    assert "/wallet/cash-out/quotes/" in page.url, page.inner_text("body")
    quote_path = page.url.split(demo.base, 1)[1]
    page.locator(f"form[action='{quote_path}'] button").click()
    assert page.url.endswith("/confirm"), page.url


@pytest.mark.parametrize("lang", LANGS)
def test_leaving_the_authenticator_page_changes_nothing(browser, demo, lang):
    user = person(demo)
    page = new_page(browser, lang)
    open_wallet(page, demo.wallet_link(user))
    open_authenticator(page, demo, lang)
    body = page.inner_text("body")
    assert words(lang, "totp-not-yet") in body and words(lang, "totp-code-label") in body, body
    look_at(page, f"settings-authenticator-{lang}-phone")
    # She does not scan it, and goes to cash out instead: nothing changed.
    page.get_by_role("link", name=words(lang, "totp-later")).click()
    assert page.url.endswith("/wallet/settings")
    assert words(lang, "totp-set-up") in page.inner_text("body")
    assert totp_enrolled(demo, user) is False
    to_the_code_page(page, demo, lang)
    body = page.inner_text("body")
    assert words(lang, "code-hint-sms") in body, body
    assert page.get_by_role("button", name=words(lang, "code-send-again")).is_visible()
    look_at(page, f"settings-left-authenticator-code-page-{lang}-phone")
    page.get_by_role("button", name=words(lang, "code-cancel")).click()
    page.context.close()


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("lang", LANGS)
def test_the_authenticator_is_on_only_once_its_code_proves_the_scan(browser, lang, backend):
    db_url = fresh_postgres_database() if backend == "postgres" else None
    with demo_server(db_url) as demo:
        user = person(demo)
        page = new_page(browser, lang)
        open_wallet(page, demo.wallet_link(user))
        secret = open_authenticator(page, demo, lang)
        right = totp_now(secret)
        wrong = "000000" if right != "000000" else "111111"

        # A wrong code: not on, the tries left said, and a reload spends nothing.
        page.get_by_label(words(lang, "totp-code-label")).fill(wrong)
        page.get_by_role("button", name=words(lang, "totp-confirm")).click()
        assert page.url.endswith("/wallet/settings/authenticator?wrong=1"), page.url
        told = words(lang, "totp-wrong", left=4)
        assert told in page.inner_text("body"), page.inner_text("body")
        look_at(page, f"settings-authenticator-wrong-{backend}-{lang}-phone")
        page.reload()
        assert told in page.inner_text("body"), "a reload spent a try: " + page.inner_text("body")
        assert totp_enrolled(demo, user) is False

        # Letters are not a code: refused, and no try spent.
        page.get_by_label(words(lang, "totp-code-label")).fill("12ab")
        page.get_by_role("button", name=words(lang, "totp-confirm")).click()
        assert words(lang, "totp-code-digits") in page.inner_text("body")
        look_at(page, f"settings-authenticator-letters-{backend}-{lang}-phone")

        # The code the app shows now: on.
        page.get_by_label(words(lang, "totp-code-label")).fill(totp_now(secret))
        page.get_by_role("button", name=words(lang, "totp-confirm")).click()
        assert page.url.endswith("/wallet/settings?done=totp"), page.url
        body = page.inner_text("body")
        assert words(lang, "settings-done-totp") in body and words(lang, "totp-on") in body, body
        assert totp_enrolled(demo, user) is True
        look_at(page, f"settings-authenticator-on-{backend}-{lang}-phone")

        # From now on a cash-out asks for the app's code, and offers no text message.
        to_the_code_page(page, demo, lang)
        assert words(lang, "code-hint-totp") in page.inner_text("body")
        assert page.get_by_role("button", name=words(lang, "code-send-again")).count() == 0
        page.context.close()


def settled_history(demo, minji):
    """Minji's demo cash-outs, waited for until the sandbox has paid one and failed the other."""
    for _ in range(300):
        by_status = {c["status"]: c["id"] for c in demo.call("GET", f"/v1/users/{minji}/cashouts")["data"]}
        if "paid" in by_status and "failed" in by_status:
            return by_status
        time.sleep(0.1)
    raise AssertionError(f"the demo's cash-outs did not settle: {by_status}")


@pytest.mark.parametrize("lang", LANGS)
def test_destinations_read_as_names_and_auto_cash_out_offers_no_closed_one(browser, demo, lang):
    minji = demo.user("minji")
    history = settled_history(demo, minji)
    page = new_page(browser, lang)
    open_wallet(page, demo.wallet_link(minji))
    kb, kakao, toss = (words(lang, f"bank-004"), words(lang, "provider-kakaopay"), words(lang, "provider-toss"))

    page.goto(demo.base + "/wallet/cash-out")
    body = page.inner_text("body")
    for shown in [f"{kb} ••••9012", f"{kakao} ••••0412", f"{toss} ••••0000", f"{toss} ••••"]:
        assert shown in body, (shown, body)
    assert "••••••" not in body and "toss ••" not in body and "004 ••" not in body, body
    look_at(page, f"settings-destination-names-cash-out-{lang}-phone")

    # The paid cash-out went to her toss wallet: its page and receipt name it so.
    page.goto(demo.base + f"/wallet/cash-outs/{history['paid']}")
    assert f"{toss} ••••" in page.inner_text("body") and "toss ••" not in page.inner_text("body")
    page.goto(demo.base + f"/wallet/cash-outs/{history['paid']}/receipt")
    assert f"{toss} ••••" in page.inner_text("body") and "toss ••" not in page.inner_text("body")

    # Auto-cash-out: the wallet the sandbox refused as closed is not offered, and the one
    # her last paid cash-out went to is chosen first.
    page.goto(demo.base + "/wallet/settings")
    select = page.get_by_label(words(lang, "auto-destination"))
    offered = select.locator("option").all_inner_texts()
    assert offered and not any("0000" in o for o in offered), offered
    assert f"{kb} ••••9012" in offered and f"{kakao} ••••0412" in offered, offered
    chosen = select.evaluate("s => s.options[s.selectedIndex].text")
    assert chosen == f"{toss} ••••", (chosen, offered)
    look_at(page, f"settings-auto-destinations-{lang}-phone")

    # The quote and the code page name the bank too.
    page.goto(demo.base + "/wallet/cash-out")
    page.get_by_label(re.compile(re.escape(f"{kb} ••••9012"))).check()
    page.get_by_label(words(lang, "cash-out-some")).check()
    page.get_by_label(words(lang, "cash-out-amount-label")).fill("5000")
    page.get_by_role("button", name=words(lang, "cash-out-see-fees")).click()
    assert f"{kb} ••••9012" in page.inner_text("body"), page.inner_text("body")
    look_at(page, f"settings-destination-names-quote-{lang}-phone")
    page.context.close()


@pytest.mark.parametrize("lang", LANGS)
def test_adding_a_destination_says_it_is_added(browser, demo, lang):
    user = person(demo)
    page = new_page(browser, lang)
    open_wallet(page, demo.wallet_link(user))
    page.goto(demo.base + "/wallet/cash-out/destinations/new?type=e_wallet")
    page.get_by_label(words(lang, "destination-provider")).select_option("kakaopay")
    page.get_by_label(words(lang, "destination-wallet-id")).fill("minji-7731")
    page.get_by_role("button", name=words(lang, "destination-save")).click()
    assert "/wallet/cash-out?destination=" in page.url, page.url
    added = words(lang, "destination-added", destination=words(lang, "provider-kakaopay") + " ••••7731")
    assert page.get_by_role("status").filter(has_text=added).is_visible(), page.inner_text("body")
    # And the new one is the one chosen.
    assert page.get_by_label(re.compile(re.escape(words(lang, "provider-kakaopay") + " ••••7731"))).is_checked()
    look_at(page, f"settings-destination-added-{lang}-phone")
    page.context.close()


@pytest.mark.parametrize("lang", LANGS)
def test_a_wrong_address_keeps_the_navigation_and_a_way_home(browser, demo, lang):
    page = new_page(browser, lang)
    open_wallet(page, demo.wallet_link(demo.user("minji")))
    for path, name in [("/wallet/no-such-page", "unknown"), ("/wallet/cash-outs/po_nosuchcashout", "no-cash-out")]:
        response = page.goto(demo.base + path)
        assert response.status == 404, (path, response.status)
        nav = page.get_by_role("navigation", name=words(lang, "nav-label"))
        assert nav.get_by_role("link", name=words(lang, "nav-settings")).is_visible(), page.content()
        assert words(lang, "title-not-found") in page.inner_text("h1")
        home = page.get_by_role("main").get_by_role("link", name=words(lang, "back-home"))
        assert home.get_attribute("href") == "/wallet/"
        look_at(page, f"settings-not-found-{name}-{lang}-phone")
    page.get_by_role("main").get_by_role("link", name=words(lang, "back-home")).click()
    assert page.url.endswith("/wallet/") and words(lang, "total-label") in page.inner_text("body")
    page.context.close()


def test_a_favicon_is_served(browser, demo):
    page = new_page(browser, "en")
    page.goto(demo.base + "/wallet/")
    linked = page.locator("link[rel=icon]").get_attribute("href")
    assert linked.startswith("/wallet/assets/"), linked
    for path in ["/favicon.ico", linked]:
        with urllib.request.urlopen(demo.base + path, timeout=10) as response:
            assert response.status == 200, path
            kind = response.headers["Content-Type"]
            assert kind.startswith("image/"), (path, kind)
            assert b"<svg" in response.read()
    page.context.close()


@pytest.mark.parametrize("lang", LANGS)
def test_junho_is_told_how_to_check_his_identity_before_anything_asks_where_to(browser, demo, lang):
    page = new_page(browser, lang)
    open_wallet(page, demo.wallet_link(demo.user("junho")))
    page.goto(demo.base + "/wallet/cash-out")
    body = page.inner_text("body")
    for message in ["destination-kyc-title", "cash-out-kyc-why", "cash-out-kyc-how"]:
        assert words(lang, message) in body, (message, body)
    assert page.locator("form[action='/wallet/cash-out']").count() == 0
    assert page.locator("a[href^='/wallet/cash-out/destinations']").count() == 0
    look_at(page, f"settings-junho-cash-out-{lang}-phone")
    page.context.close()
