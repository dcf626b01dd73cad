"""The web wallet's whole journey in real headless Chromium, as a person taps through it:
the operator's link → home → redeem a gift card → set up an authenticator app → cash out
with its code → watch the cash-out reach paid on the sandbox rail without reloading → the
receipt → report a problem. In Korean on SQLite and in English on PostgreSQL; each page it
passes is checked by axe-core and kept as a screenshot.

Run by scripts/test (scripts/lib/browser.sh), which sets SMALLCHANGE_BIN, SCREENSHOTS and
SMALLCHANGE_TEST_POSTGRES_URL."""

import re
import time

import pytest

from conftest import demo_server, fresh_postgres_database, look_at, new_page, open_wallet, totp_now, words


@pytest.mark.parametrize("lang,backend", [("ko", "sqlite"), ("en", "postgres")])
def test_from_link_to_a_paid_cash_out_and_a_dispute(browser, lang, backend):
    db_url = fresh_postgres_database() if backend == "postgres" else None
    with demo_server(db_url) as demo:
        journey(browser, demo, lang, backend)


def journey(browser, demo, lang, backend):
    w = lambda message_id, **args: words(lang, message_id, **args)
    shot = lambda page, name: look_at(page, f"journey-{backend}-{lang}-{name}")
    minji = demo.user("minji")
    page = new_page(browser, lang)

    # The operator's link opens her wallet (its page's button).
    open_wallet(page, demo.wallet_link(minji))
    assert page.url.endswith("/wallet/")
    assert w("total-label") in page.inner_text("body")
    shot(page, "home")

    # She adds the gift card the demo left unredeemed.
    code = re.search(r"brand CultureLand, code ([0-9-]+)", demo.printed).group(1)
    page.goto(demo.base + "/wallet/gift-cards/redeem")
    page.get_by_label(w("redeem-brand-label")).select_option("CultureLand")
    page.get_by_label(w("redeem-code-label")).fill(code)
    page.get_by_role("button", name=w("redeem-action")).click()
    assert w("gift-cards-redeemed-title") in page.inner_text("body"), page.inner_text("body")
    shot(page, "gift-card-redeemed")

    # She sets up an authenticator app from its QR code (the test reads the key beside it),
    # and the app's code proves she scanned it.
    page.goto(demo.base + "/wallet/settings")
    page.get_by_role("button", name=w("totp-set-up")).click()
    assert page.locator("img[alt]").first.get_attribute("src").startswith("data:image/svg+xml")
    secret = page.locator(".secret code").inner_text()
    shot(page, "authenticator")
    page.get_by_label(w("totp-code-label")).fill(totp_now(secret))
    page.get_by_role("button", name=w("totp-confirm")).click()
    assert w("settings-done-totp") in page.inner_text("body"), page.inner_text("body")
    proven_at = time.time()

    # She cashes ₩10,000 out to her kakaopay wallet; the quote shows the fees and counts down.
    page.goto(demo.base + "/wallet/cash-out")
    shot(page, "cash-out")
    page.locator("label", has_text=w("provider-kakaopay")).first.click()
    page.get_by_label(w("cash-out-some")).check()
    page.get_by_label(w("cash-out-amount-label")).fill("10000")
    page.get_by_role("button", name=w("cash-out-see-fees")).click()
    assert "/wallet/cash-out/quotes/" in page.url
    countdown = page.locator("[data-countdown]")
    first = countdown.inner_text()
    page.wait_for_timeout(1500)
    assert countdown.inner_text() != first, "the countdown runs"
    assert w("quote-net-label") in page.inner_text("body")
    shot(page, "quote")
    quote_path = page.url.split(demo.base, 1)[1]
    page.locator(f"form[action='{quote_path}'] button").click()

    # The code from her app confirms it: a new one, since the one that proved the scan is
    # used up.
    while int(time.time()) // 30 == int(proven_at) // 30:
        page.wait_for_timeout(500)
    page.get_by_label(w("code-label")).fill(totp_now(secret))
    page.get_by_role("button", name=w("code-confirm")).click()
    cashout = re.search(r"/wallet/cash-outs/(po_[a-z0-9]+)", page.url).group(1)
    shot(page, "cash-out-confirmed")

    # A first cash-out to a destination is reviewed; the operator approves it, and her page
    # follows it to paid without being reloaded.
    page.evaluate("window.stillTheSamePage = true")
    if demo.call("GET", f"/v1/cashouts/{cashout}")["status"] == "in_review":
        demo.call("POST", f"/v1/cashouts/{cashout}/approve", {"reason": "browser journey"})
    page.locator("[data-status]").filter(has_text=w("status-paid")).wait_for(timeout=60_000)
    assert page.evaluate("window.stillTheSamePage === true"), "the page was not reloaded"
    # What depended on the review went with it: no review notice, no cancel, "received".
    page.get_by_role("heading", name=w("cash-out-review-title")).wait_for(state="detached", timeout=10_000)
    assert page.get_by_role("button", name=w("code-cancel")).count() == 0
    page.locator("[data-refresh='amounts']").filter(has_text=w("cash-out-paid-label")).wait_for(timeout=10_000)
    shot(page, "cash-out-paid")

    # The receipt, printable.
    page.get_by_role("link", name=w("cash-out-see-receipt")).click()
    receipt = page.inner_text("body")
    assert w("receipt-title") in receipt and w("status-paid") in receipt, receipt
    assert page.get_by_role("button", name=w("receipt-print")).is_visible()
    shot(page, "receipt")

    # Something is wrong: she reports it, and the operator sees the dispute.
    page.goto(demo.base + f"/wallet/cash-outs/{cashout}")
    page.get_by_role("link", name=w("dispute-link")).click()
    shot(page, "dispute-form")
    page.get_by_label(w("dispute-reason-not_arrived")).check()
    page.get_by_role("button", name=w("dispute-send")).click()
    assert w("dispute-list-title") in page.inner_text("body")
    disputes = demo.call("GET", f"/v1/users/{minji}/disputes")["data"]
    assert any(d.get("cashout_id") == cashout for d in disputes), disputes
    shot(page, "dispute-opened")
    page.context.close()
