"""The web wallet in real headless Chromium (Debian's), as its people use it: every page in
Korean and English, on a phone (390x844) and a desktop (1280x800), read for what it must
say, checked by axe-core and kept as a screenshot; signing in with a phone number (a wrong
code, then the right one); the session cookie's flags; choosing a language; and a balance
charged to a phone bill, which shows nothing withdrawable and says why.

Run by scripts/test (scripts/lib/browser.sh), which sets SMALLCHANGE_BIN and SCREENSHOTS."""

import time

import pytest

from conftest import SIZES, demo_server, look_at, new_page, open_wallet, words

# Each signed-in page: its path (filled in with the demo's ids), and the catalog messages
# it must show, in whichever language it is read.
SIGNED_IN_PAGES = {
    "home": ("/wallet/", ["total-label", "withdrawable-label", "pocket-carrier"]),
    "activity": ("/wallet/activity", ["activity-title"]),
    "gift-cards": ("/wallet/gift-cards", ["gift-cards-title"]),
    "gift-card-redeem": ("/wallet/gift-cards/redeem", ["redeem-title", "redeem-code-label"]),
    "gift-card-refund": ("/wallet/gift-cards/{refundable_card}/refund", ["refund-title", "refund-where-label"]),
    "cash-out": ("/wallet/cash-out", ["cash-out-title", "cash-out-where"]),
    "destination-new": ("/wallet/cash-out/destinations/new", ["destination-title"]),
    "cash-out-paid": ("/wallet/cash-outs/{paid}", ["cash-out-page-title", "status-paid"]),
    "cash-out-failed": ("/wallet/cash-outs/{failed}", ["cash-out-page-title", "status-failed"]),
    "receipt": ("/wallet/cash-outs/{paid}/receipt", ["receipt-title"]),
    "dispute": ("/wallet/cash-outs/{paid}/dispute", ["dispute-title", "dispute-reason-not_arrived"]),
    "settings": ("/wallet/settings", ["auto-title", "totp-title", "sessions-title"]),
}


def demo_ids(demo):
    """The ids the page paths need: minji's paid and failed cash-outs (the demo's history,
    waited for until the sandbox rail has settled them) and her card past its threshold."""
    minji = demo.user("minji")
    for _ in range(300):
        cashouts = demo.call("GET", f"/v1/users/{minji}/cashouts")["data"]
        by_status = {c["status"]: c["id"] for c in cashouts}
        if "paid" in by_status and "failed" in by_status:
            break
        time.sleep(0.1)
    cards = demo.call("GET", f"/v1/users/{minji}/gift-cards")["data"]
    refundable = next(c["id"] for c in cards if c.get("refundable"))
    return {"paid": by_status["paid"], "failed": by_status["failed"], "refundable_card": refundable}


@pytest.fixture(scope="module")
def demo():
    with demo_server() as api:
        yield api


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("lang", ["ko", "en"])
def test_every_signed_in_page_reads_right_and_is_accessible(browser, demo, lang, size):
    ids = demo_ids(demo)
    page = new_page(browser, lang, size)
    open_wallet(page, demo.wallet_link(demo.user("minji")))
    for name, (path, message_ids) in SIGNED_IN_PAGES.items():
        response = page.goto(demo.base + path.format(**ids))
        assert response.status == 200, f"{path}: {response.status}"
        assert page.locator("html").get_attribute("lang") == lang
        text = page.inner_text("body")
        for message_id in message_ids:
            expected = words(lang, message_id)
            assert expected in text, f"{name}/{lang}: {expected!r} missing from:\n{text}"
        look_at(page, f"wallet-{name}-{lang}-{size}")
    page.context.close()


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("lang", ["ko", "en"])
def test_the_pages_before_signing_in_are_accessible(browser, demo, lang, size):
    page = new_page(browser, lang, size)
    used = demo.wallet_link(demo.user("junho"))
    open_wallet(page, used)
    page.context.clear_cookies()
    response = page.goto(used)
    assert response.status == 410
    look_at(page, f"wallet-link-refused-{lang}-{size}")
    page.goto(demo.base + "/wallet/")
    look_at(page, f"wallet-front-door-{lang}-{size}")
    page.goto(demo.base + f"/wallet/sign-in/{demo.tenant()}")
    look_at(page, f"wallet-sign-in-{lang}-{size}")
    page.get_by_label("휴대폰 번호" if lang == "ko" else "Mobile phone number").fill("12")
    page.get_by_role("button", name="인증 코드 받기" if lang == "ko" else "Send me a code").click()
    assert page.locator(".error-summary").is_visible()
    look_at(page, f"wallet-sign-in-error-{lang}-{size}")
    page.context.close()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_signing_in_with_a_phone_number_wrong_code_then_right(browser, demo, javascript):
    page = new_page(browser, "ko", javascript=javascript)
    page.goto(demo.base + f"/wallet/sign-in/{demo.tenant()}")
    page.get_by_label("휴대폰 번호").fill("010-8765-4321")
    page.get_by_role("button", name="인증 코드 받기").click()
    assert "/wallet/code/" in page.url
    if javascript:
        look_at(page, "wallet-code-ko-phone")
    code = demo.sms_code("+821087654321")
    wrong = "111111" if code != "111111" else "222222"
    page.get_by_label("인증 코드 6자리").fill(wrong)
    page.get_by_role("button", name="로그인").click()
    assert "코드가 맞지 않아요" in page.inner_text("body")
    if javascript:
        look_at(page, "wallet-code-wrong-ko-phone")
    page.get_by_label("인증 코드 6자리").fill(code)
    page.get_by_role("button", name="로그인").click()
    assert page.url.endswith("/wallet/")
    assert "지갑에 있는 돈" in page.inner_text("body")
    cookie = next(c for c in page.context.cookies() if c["name"] == "sc_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and cookie["path"] == "/wallet"
    # Signing out ends it: the wallet is closed on this device.
    page.get_by_role("button", name="로그아웃").click()
    assert "로그아웃했어요" in page.inner_text("body")
    # A reload repeats a plain visit (post/redirect/get), not the sign-out.
    assert page.url.endswith("/wallet/signed-out"), page.url
    page.reload()
    assert "로그아웃했어요" in page.inner_text("body")
    page.goto(demo.base + "/wallet/")
    assert "지갑에 들어가려면" in page.inner_text("body")
    page.context.close()


def test_the_language_chosen_sticks(browser, demo):
    page = new_page(browser, "ko")
    open_wallet(page, demo.wallet_link(demo.user("minji")))
    page.get_by_role("button", name="English").click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert "In your wallet" in page.inner_text("body")
    page.goto(demo.base + "/wallet/settings")
    assert page.locator("html").get_attribute("lang") == "en", "the choice outlasts the page it was made on"
    page.context.close()


def test_a_carrier_only_balance_shows_nothing_withdrawable_and_why(browser, demo):
    user = demo.call("POST", "/v1/users", {"external_id": "carrier-only", "phone": "+821055550123"})["id"]
    demo.call("POST", f"/v1/users/{user}/topups",
              {"source": "carrier_billing", "amount": 30000, "currency": "KRW", "reference": "browser-carrier"})
    for lang, withdrawable, why in [("ko", "0원", "출금할 수 없어요"), ("en", "₩0", "Cannot be withdrawn")]:
        page = new_page(browser, lang)
        open_wallet(page, demo.wallet_link(user))
        summary = page.locator("section.summary").inner_text()
        assert withdrawable in summary, summary
        assert why in page.inner_text("body")
        look_at(page, f"wallet-home-carrier-only-{lang}-phone")
        # The cash-out page refuses politely: why, and no form to fill in.
        page.goto(demo.base + "/wallet/cash-out")
        assert words(lang, "cash-out-nothing-title") in page.inner_text("body")
        assert page.locator("form[action='/wallet/cash-out']").count() == 0
        look_at(page, f"wallet-cash-out-carrier-only-{lang}-phone")
        page.context.close()
