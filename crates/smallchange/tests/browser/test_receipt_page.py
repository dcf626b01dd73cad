"""The receipt page a user opens from its signed link, in real headless Chromium (Debian's),
as a person sees it: a paid cash-out and a failed one, in Korean and English, on a phone
(390x844) and a desktop (1280x800). Each page must say the right things, pass axe-core with
no serious or critical violation, and leave a screenshot for a person to look at.

Run by scripts/test (scripts/lib/browser.sh), which sets SMALLCHANGE_BIN and SCREENSHOTS."""

import json
import re
import time

import pytest
from axe_playwright_python.sync_playwright import Axe

from conftest import SCREENSHOTS, SIZES, demo_server


@pytest.fixture(scope="module")
def server():
    """`serve --demo` on a fresh SQLite database and a free loopback port, stopped at the end."""
    with demo_server() as api:
        yield api


def sms_code(api):
    text = api.call("GET", "/v1/dev/sms-outbox")[0]["text"]
    return re.findall(r"\d{6}", text)[-1]


def cash_out(api, user, destination, amount):
    """A cash-out confirmed by its SMS code and approved (a first cash-out to a destination is
    reviewed): its id."""
    quote = api.call("POST", f"/v1/users/{user}/cashout-quotes",
                     {"amount": amount, "currency": "KRW", "destination_id": destination})
    cashout = api.call("POST", "/v1/cashouts", {"quote_id": quote["id"]})
    confirmed = api.call("POST", f"/v1/cashouts/{cashout['id']}/confirm", {"otp": sms_code(api)})
    if confirmed["status"] == "in_review":
        api.call("POST", f"/v1/cashouts/{cashout['id']}/approve", {"reason": "browser test"})
    return cashout["id"]


def settled(api, cashout, status):
    for _ in range(300):
        if api.call("GET", f"/v1/cashouts/{cashout}")["status"] == status:
            return
        time.sleep(0.1)
    raise AssertionError(f"{cashout} never became {status}: {api.call('GET', f'/v1/cashouts/{cashout}')}")


@pytest.fixture(scope="module")
def receipts(server):
    """Receipt links of a paid cash-out (to minji's e-wallet, on the sandbox rail) and of a
    failed one (to a wallet id ending in 0000, which the sandbox refuses as closed)."""
    minji = server.call("GET", "/v1/users?external_id=minji")["data"][0]["id"]
    wallet = next(d for d in server.call("GET", f"/v1/users/{minji}/payout-destinations")["data"]
                  if d["type"] == "e_wallet" and d["masked"].startswith("kakaopay"))
    closed = server.call("POST", f"/v1/users/{minji}/payout-destinations",
                         {"type": "e_wallet", "provider": "kakaopay", "wallet_id": "closed-0000", "holder_name": "김민지"})
    paid = cash_out(server, minji, wallet["id"], 30_000)
    failed = cash_out(server, minji, closed["id"], 20_000)
    settled(server, paid, "paid")
    settled(server, failed, "failed")
    link = lambda cashout: server.base + server.call("GET", f"/v1/cashouts/{cashout}/receipt")["url"]
    return {"paid": link(paid), "failed": link(failed)}


# What each page must say, and must never say.
EXPECTED = {
    ("paid", "ko"): (["출금 영수증", "29,500원", "30,000원", "KST"], ["지갑으로 돌아", "Paid to you"]),
    ("paid", "en"): (["Cash-out receipt", "Paid to you", "₩29,500", "₩30,000", "KST"], ["went back"]),
    ("failed", "ko"): (["출금에 실패했어요", "받는 계좌가 해지된 계좌예요", "20,000원", "지갑으로 돌아"], ["Paid to you"]),
    ("failed", "en"): (["This cash-out failed", "The receiving account is closed.",
                        "The full ₩20,000 went back to your wallet."], ["Paid to you"]),
}


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("lang", ["ko", "en"])
@pytest.mark.parametrize("outcome", ["paid", "failed"])
def test_the_receipt_page_reads_right_and_is_accessible(browser, receipts, outcome, lang, size):
    width, height = SIZES[size]
    context = browser.new_context(viewport={"width": width, "height": height}, locale="ko-KR")
    page = context.new_page()
    response = page.goto(f"{receipts[outcome]}&lang={lang}")
    assert response.status == 200
    assert page.locator("html").get_attribute("lang") == lang
    text = page.inner_text("body")
    must, never = EXPECTED[(outcome, lang)]
    for words in must:
        assert words in text, f"{outcome}/{lang}: {words!r} missing from:\n{text}"
    for words in never:
        assert words not in text, f"{outcome}/{lang}: {words!r} must not be shown:\n{text}"
    # Nothing wider than the screen: a phone reads it without scrolling sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"receipt-{outcome}-{lang}-{size}.png", full_page=True)
    results = Axe().run(page)
    serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert not serious, json.dumps(serious, indent=1, ensure_ascii=False)[:3000]
    context.close()


def test_a_tampered_link_is_refused_in_the_persons_language(browser, receipts):
    page = browser.new_page(locale="en-US")
    tampered = re.sub(r"sig=([0-9a-f])", lambda m: "sig=" + ("1" if m.group(1) != "1" else "2"), receipts["paid"])
    response = page.goto(tampered)
    assert response.status == 404
    text = page.inner_text("body")
    assert "29,500" not in text and "po_" not in text, text
    page.close()
