"""A person's way back to their cash-outs, in real headless Chromium at phone size (issue 21):
the list of cash-outs (waiting for a code first, then in progress, then done) reached from
home and from the cash-out page, every mention of a cash-out a link to its page, whose
actions follow its state; codes and quotes that never post twice (a wrong code, a reload,
Back); a quote already used leads to its cash-out, an expired one says so and offers a new
quote; a failed cash-out says nothing was paid; a cash-out in review says why, for how long
and that the money stays held; an authenticator's code page says what to do when the phone
is lost. In Korean and in English; the core flow on PostgreSQL too when
SMALLCHANGE_TEST_POSTGRES_URL is set."""

import os
import re
import time

import pytest

from conftest import demo_server, fresh_postgres_database, look_at, new_page, open_wallet, words

MINJI_PHONE = "+821012345678"
FINAL = ("paid", "failed", "canceled", "expired")


def money(lang, amount):
    return f"{amount:,}원" if lang == "ko" else f"₩{amount:,}"


def signed_in(browser, demo, lang, javascript=True):
    page = new_page(browser, lang, javascript=javascript)
    open_wallet(page, demo.wallet_link(demo.user("minji")))
    return page


def cashouts_of(demo, user):
    return demo.call("GET", f"/v1/users/{user}/cashouts?limit=100")["data"]


def status_of(demo, cashout):
    return demo.call("GET", f"/v1/cashouts/{cashout}")["status"]


def history_settled(demo, user):
    """The demo's paid and failed cash-outs, once the sandbox has settled them."""
    for _ in range(300):
        found = cashouts_of(demo, user)
        if found and all(c["status"] in FINAL for c in found):
            paid = next(c["id"] for c in found if c["status"] == "paid")
            failed = next(c["id"] for c in found if c["status"] == "failed")
            return paid, failed
        time.sleep(0.1)
    raise AssertionError(f"the demo's cash-outs did not settle: {cashouts_of(demo, user)}")


def destinations(demo, user):
    """Minji's bank account and her kakaopay e-wallet, neither cashed out to yet."""
    found = demo.call("GET", f"/v1/users/{user}/payout-destinations")["data"]
    used = {c["quote"]["destination_id"] for c in cashouts_of(demo, user)}
    bank = next(d["id"] for d in found if d["type"] == "bank_account")
    kakao = next(d["id"] for d in found if d["type"] == "e_wallet" and d["id"] not in used)
    return bank, kakao


def api_cashout(demo, user, destination, amount, confirm=False):
    """A cash-out made through the API (as the platform would), confirmed with its SMS code if asked."""
    quote = demo.call("POST", f"/v1/users/{user}/cashout-quotes",
                      {"amount": amount, "currency": "KRW", "destination_id": destination})
    cashout = demo.call("POST", "/v1/cashouts", {"quote_id": quote["id"]})["id"]
    if confirm:
        demo.call("POST", f"/v1/cashouts/{cashout}/confirm", {"otp": demo.sms_code(MINJI_PHONE)})
    return cashout


def to_quote(page, demo, w, destination, amount):
    """The cash-out form filled in and sent: the quote's page. Answers its path."""
    page.goto(demo.base + "/wallet/cash-out")
    page.locator(f"#destination-{destination}").check()
    page.locator("#how-amount").check()
    page.locator("#amount").fill(str(amount))
    page.get_by_role("button", name=w("cash-out-see-fees")).click()
    assert "/wallet/cash-out/quotes/" in page.url, page.inner_text("main")
    return page.url.split(demo.base, 1)[1]


def to_code(page, demo, w, destination, amount):
    """A quote confirmed in the browser: the code page. Answers the cash-out's id."""
    to_quote(page, demo, w, destination, amount)
    page.locator("[data-quote-confirm]").click()
    found = re.search(r"/wallet/cash-outs/(po_[a-z0-9]+)/confirm", page.url)
    assert found, page.url
    return found.group(1)


def tries_left(page, w, left):
    return w("code-tries-left", left=left) in page.inner_text("main")


def all_get(response):
    """Whether a navigation and every redirect before it were GETs (nothing was posted again)."""
    request = response.request
    while request is not None:
        if request.method != "GET":
            return False
        request = request.redirected_from
    return True


def postgres_or_skip(backend):
    if backend != "postgres":
        return None
    if not os.environ.get("SMALLCHANGE_TEST_POSTGRES_URL"):
        pytest.skip("SMALLCHANGE_TEST_POSTGRES_URL is not set")
    return fresh_postgres_database()


@pytest.mark.parametrize("lang,backend", [("ko", "sqlite"), ("en", "sqlite"), ("ko", "postgres")])
def test_the_list_and_coming_back_to_confirm_or_cancel(browser, lang, backend):
    with demo_server(postgres_or_skip(backend)) as demo:
        w = lambda message_id, **args: words(lang, message_id, **args)
        shot = lambda page, name: look_at(page, f"cash-outs-{backend}-{lang}-{name}")
        minji = demo.user("minji")
        paid, failed = history_settled(demo, minji)
        bank, kakao = destinations(demo, minji)
        # In progress: confirmed, and held for review (a first cash-out to that account).
        under_way = api_cashout(demo, minji, bank, 6_000, confirm=True)
        assert status_of(demo, under_way) == "in_review"
        # Waiting for a code: one made by the platform, then one she leaves on its code page.
        older = api_cashout(demo, minji, kakao, 5_000)
        page = signed_in(browser, demo, lang)
        newer = to_code(page, demo, w, kakao, 7_000)
        shot(page, "code-page")

        # Home: the held amount and each cash-out in progress lead to them, waiting ones too.
        page.goto(demo.base + "/wallet/")
        for cashout in (newer, older, under_way):
            assert page.locator(f"a[href='/wallet/cash-outs/{cashout}']").count() == 1, cashout
        shot(page, "home")
        page.locator("dd a[href='/wallet/cash-outs']").click()
        assert page.url.endswith("/wallet/cash-outs")
        assert page.locator("h1").inner_text() == w("cash-out-list-title")
        shown = page.eval_on_selector_all("main a[href^='/wallet/cash-outs/po_']",
                                          "links => links.map(a => a.getAttribute('href').split('/').pop())")
        assert shown == [newer, older, under_way, failed, paid], shown
        headings = page.locator("main h2").all_inner_texts()
        assert headings == [w("cash-out-list-waiting"), w("cash-out-list-under-way"), w("cash-out-list-done")]
        shot(page, "list")

        # The cash-out form leads to the list as well.
        page.goto(demo.base + "/wallet/cash-out")
        page.get_by_role("link", name=w("cash-out-list-link")).click()
        assert page.url.endswith("/wallet/cash-outs")

        # From the list, the cash-out she left: its page offers the code, a new code, cancel.
        page.locator(f"a[href='/wallet/cash-outs/{newer}']").click()
        assert page.get_by_role("button", name=w("code-send-again")).is_visible()
        assert page.get_by_role("button", name=w("code-cancel")).is_visible()
        assert page.get_by_role("link", name=w("cash-out-see-receipt")).count() == 0
        shot(page, "waiting")
        page.get_by_role("link", name=w("cash-out-enter-code")).click()
        page.get_by_label(w("code-label")).fill(demo.sms_code(MINJI_PHONE))
        page.get_by_role("button", name=w("code-confirm")).click()
        assert page.url.endswith(f"/wallet/cash-outs/{newer}"), page.url
        assert status_of(demo, newer) == "in_review"

        # From home, the other one: canceled, and its money is back.
        page.goto(demo.base + "/wallet/")
        page.locator(f"a[href='/wallet/cash-outs/{older}']").click()
        page.get_by_role("button", name=w("code-cancel")).click()
        assert page.url.endswith(f"/wallet/cash-outs/{older}")
        assert status_of(demo, older) == "canceled"
        assert w("cash-out-canceled-title") in page.inner_text("main")
        assert page.get_by_role("button", name=w("code-cancel")).count() == 0
        shot(page, "canceled")

        # A finished one: its receipt and a problem to report.
        page.goto(demo.base + "/wallet/cash-outs")
        page.locator(f"a[href='/wallet/cash-outs/{paid}']").click()
        assert page.get_by_role("link", name=w("cash-out-see-receipt")).is_visible()
        assert page.get_by_role("link", name=w("dispute-link")).is_visible()
        assert page.get_by_role("button", name=w("code-cancel")).count() == 0

        # Activity: a cash-out's rows lead to its page.
        page.goto(demo.base + "/wallet/activity")
        for cashout in (newer, older, under_way, paid, failed):
            assert page.locator(f"main a[href='/wallet/cash-outs/{cashout}']").count() >= 1, cashout
        shot(page, "activity")
        page.locator(f"main a[href='/wallet/cash-outs/{newer}']").first.click()
        assert page.url.endswith(f"/wallet/cash-outs/{newer}")
        page.context.close()


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_a_code_is_never_posted_twice(browser, lang):
    with demo_server() as demo:
        w = lambda message_id, **args: words(lang, message_id, **args)
        shot = lambda page, name: look_at(page, f"cash-outs-codes-{lang}-{name}")
        minji = demo.user("minji")
        history_settled(demo, minji)
        _, kakao = destinations(demo, minji)
        page = signed_in(browser, demo, lang)
        cashout = to_code(page, demo, w, kakao, 5_000)
        right = demo.sms_code(MINJI_PHONE)
        wrong = "000000" if right != "000000" else "111111"

        # A wrong code spends a try and says so on a page that a reload only reads again.
        page.get_by_label(w("code-label")).fill(wrong)
        page.get_by_role("button", name=w("code-confirm")).click()
        assert page.url.endswith(f"/wallet/cash-outs/{cashout}/confirm?wrong=1"), page.url
        assert w("code-wrong", left=4) in page.inner_text("main")
        shot(page, "wrong")
        reloaded = page.reload()
        assert all_get(reloaded)
        assert w("code-wrong", left=4) in page.inner_text("main") and tries_left(page, w, 4)

        # Letters are refused with the form again, and spend nothing; a reload posts nothing.
        page.get_by_label(w("code-label")).fill("12ab")
        with page.expect_response(lambda r: r.request.method == "POST") as answered:
            page.get_by_role("button", name=w("code-confirm")).click()
        assert answered.value.status == 400
        assert w("error-otp_format") in page.inner_text("main") and tries_left(page, w, 4)
        shot(page, "letters")
        assert all_get(page.reload())
        assert tries_left(page, w, 4) and status_of(demo, cashout) == "awaiting_confirmation"

        # The right code; Back and reload after it show pages and post nothing.
        page.get_by_label(w("code-label")).fill(f" {right[:3]} {right[3:]} ")
        page.get_by_role("button", name=w("code-confirm")).click()
        assert page.url.endswith(f"/wallet/cash-outs/{cashout}"), page.url
        confirmed = status_of(demo, cashout)
        assert confirmed == "in_review"
        back = page.go_back()
        assert back is not None and all_get(back), back
        assert back.status == 200 and page.locator("h1").count() == 1
        shot(page, "back")
        assert all_get(page.reload())
        assert status_of(demo, cashout) == confirmed
        page.context.close()


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_a_used_quote_leads_to_its_cash_out(browser, lang):
    with demo_server() as demo:
        w = lambda message_id, **args: words(lang, message_id, **args)
        minji = demo.user("minji")
        history_settled(demo, minji)
        _, kakao = destinations(demo, minji)
        page = signed_in(browser, demo, lang)
        quote_path = to_quote(page, demo, w, kakao, 5_000)
        page.locator("[data-quote-confirm]").click()
        cashout = re.search(r"/wallet/cash-outs/(po_[a-z0-9]+)/confirm", page.url).group(1)
        made = len(cashouts_of(demo, minji))

        # Back to the quote: it is used, so its cash-out shows, with no countdown or button.
        page.go_back()
        assert page.url.endswith(f"/wallet/cash-outs/{cashout}"), page.url
        assert page.locator("[data-countdown]").count() == 0
        assert page.get_by_role("link", name=w("cash-out-enter-code")).is_visible()
        look_at(page, f"cash-outs-used-quote-{lang}")

        # Its form sent again (an old tab): the same cash-out's code page, none made anew.
        csrf = page.locator("input[name=csrf]").first.get_attribute("value")
        again = page.request.post(demo.base + quote_path, form={"csrf": csrf})
        assert again.status == 200 and again.url.endswith(f"/wallet/cash-outs/{cashout}/confirm"), again.url
        assert len(cashouts_of(demo, minji)) == made
        page.context.close()


def test_an_expired_quote_says_so_and_offers_a_new_one(browser):
    with demo_server(settings="[cashout]\nquote_ttl_s = 6\n") as demo:
        minji = demo.user("minji")
        history_settled(demo, minji)
        _, kakao = destinations(demo, minji)
        for lang in ("ko", "en"):
            w = lambda message_id, **args: words(lang, message_id, **args)
            page = signed_in(browser, demo, lang)
            quote_path = to_quote(page, demo, w, kakao, 5_000)
            net = page.locator(".summary .amount").inner_text()
            assert page.locator("[data-quote-confirm]").is_enabled()
            # The countdown reaches zero: the page turns to the expired state by itself.
            page.locator("[data-quote-expired]").wait_for(state="visible", timeout=20_000)
            assert page.locator("[data-quote-confirm]").is_disabled()
            assert not page.locator("[data-quote-confirm]").is_visible()
            main = page.inner_text("main")
            assert w("quote-expired-title") in main and w("quote-expired-text") in main
            assert w("quote-time-left") not in main
            assert page.get_by_role("button", name=w("quote-renew")).is_visible()
            look_at(page, f"cash-outs-quote-ran-out-{lang}")

            # Its form sent anyway (a page without JavaScript, an old tab): back to the
            # quote, which says it expired; no cash-out is made.
            csrf = page.locator("input[name=csrf]").first.get_attribute("value")
            stale = page.request.post(demo.base + quote_path, form={"csrf": csrf})
            assert stale.status == 200 and stale.url == demo.base + quote_path, stale.url
            # (This request's language is the server's default: look for the new-quote form.)
            assert f'action="{quote_path}/again"' in stale.text() and "data-countdown" not in stale.text()

            # Opened again: expired from the server, with one button, for a new quote.
            page.reload()
            assert page.locator("[data-countdown]").count() == 0
            assert page.locator("main form button").count() == 1
            assert w("quote-expired-title") in page.inner_text("main")
            look_at(page, f"cash-outs-quote-expired-{lang}")
            page.get_by_role("button", name=w("quote-renew")).click()
            assert "/wallet/cash-out/quotes/" in page.url and not page.url.endswith(quote_path), page.url
            assert page.locator("[data-countdown]").count() == 1
            assert page.locator(".summary .amount").inner_text() == net
            assert page.locator("[data-quote-confirm]").is_enabled()
            page.context.close()
        assert not any(c["status"] == "awaiting_confirmation" for c in cashouts_of(demo, minji))


def test_failed_and_reviewed_cash_outs_say_what_happened(browser):
    with demo_server(settings="[cashout]\nreview_hours = 48\n") as demo:
        minji = demo.user("minji")
        _, failed = history_settled(demo, minji)
        bank, _ = destinations(demo, minji)
        reviewed = api_cashout(demo, minji, bank, 6_000, confirm=True)
        assert status_of(demo, reviewed) == "in_review"
        for lang in ("ko", "en"):
            w = lambda message_id, **args: words(lang, message_id, **args)
            page = signed_in(browser, demo, lang)

            # Failed: nothing was paid, and all ₩5,000 came back; no "you receive ₩4,500".
            for path, name in ((f"/wallet/cash-outs/{failed}", "failed"),
                               (f"/wallet/cash-outs/{failed}/receipt", "failed-receipt")):
                page.goto(demo.base + path)
                main = page.inner_text("main")
                assert w("cash-out-returned", amount=money(lang, 5_000)) in main, main
                nothing = w("cash-out-nothing-paid", destination="@").split("@")
                assert all(part.strip() in main for part in nothing), main
                assert w("quote-net-label") not in main and money(lang, 4_500) not in main, main
                look_at(page, f"cash-outs-{name}-{lang}")

            # In review: why, how long (the tenant's review_hours), the money held; cancel.
            page.goto(demo.base + f"/wallet/cash-outs/{reviewed}")
            main = page.inner_text("main")
            for said in (w("cash-out-review-title"), w("cash-out-review-why"), w("cash-out-review-time", hours=48),
                         w("cash-out-review-held", amount=money(lang, 6_000))):
                assert said in main, (said, main)
            assert page.get_by_role("button", name=w("code-cancel")).is_visible()
            look_at(page, f"cash-outs-review-{lang}")
            page.context.close()

        # With an authenticator app, the code page says what to do when the phone is lost.
        demo.call("POST", f"/v1/users/{minji}/totp", {})
        _, kakao = destinations(demo, minji)
        for lang in ("ko", "en"):
            w = lambda message_id, **args: words(lang, message_id, **args)
            page = signed_in(browser, demo, lang)
            to_code(page, demo, w, kakao, 5_000)
            assert w("code-hint-totp") in page.inner_text("main")
            assert w("code-totp-lost") in page.inner_text("main")
            look_at(page, f"cash-outs-totp-code-{lang}")
            page.context.close()
