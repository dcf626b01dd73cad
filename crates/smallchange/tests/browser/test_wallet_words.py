"""How the web wallet reads, measured in real headless Chromium (issue 21, items 5, 6, 7, 10
and the gift-card part of 3): an amount never breaks across lines, on a phone and a
desktop, in Korean and English; the menu fits one row on a phone; no page shows the API's
words, and each kind of money says why it can or cannot be withdrawn in the catalog's
words; money back from a failed cash-out says it failed; a refunded gift card says how much
was used and how much came back, in activity too; only a card that expires within 30 days
is "expiring soon"; below the cash-out minimum the error names the minimum beside the
field; a gift-card code of the wrong length says how long codes are; and a code that spent
a try answers with a page that a reload does not post again.

Run by scripts/test (scripts/lib/browser.sh), which sets SMALLCHANGE_BIN and SCREENSHOTS."""

import re
import time

import pytest

import conftest
from conftest import SIZES, demo_server, look_at, new_page, words


@pytest.fixture(scope="module")
def demo():
    with demo_server() as api:
        yield api


def open_wallet(page, demo, user):
    """Signs `page` in as `user` through a fresh one-time link, as a person opens one."""
    conftest.open_wallet(page, demo.wallet_link(user))


def settled_history(demo):
    """minji's paid and failed cash-outs, once the sandbox rail has settled them."""
    minji = demo.user("minji")
    by_status = {}
    for _ in range(300):
        by_status = {c["status"]: c["id"] for c in demo.call("GET", f"/v1/users/{minji}/cashouts")["data"]}
        if "paid" in by_status and "failed" in by_status:
            break
        time.sleep(0.1)
    assert "paid" in by_status and "failed" in by_status, by_status
    return by_status


def choose_kakaopay(page, demo):
    """Chooses minji's kakaopay wallet on the cash-out form."""
    minji = demo.user("minji")
    wallet = next(d for d in demo.call("GET", f"/v1/users/{minji}/payout-destinations")["data"]
                  if d["type"] == "e_wallet" and "0412" in d["masked"])
    page.locator(f"#destination-{wallet['id']}").check()


def text_of(page, selector="main"):
    return page.locator(selector).inner_text()


# ---------------------------------------------------------------- amounts on one line

# Every element that shows money (or a card's masked code), and how many line boxes its text takes: an inline element
# split over lines gives text rectangles at several heights.
BROKEN_AMOUNTS = """() => {
  const lines = (el) => {
    const range = document.createRange();
    range.selectNodeContents(el);
    const rects = [...range.getClientRects()].filter(r => r.width > 0 && r.height > 0);
    const half = parseFloat(getComputedStyle(el).fontSize) / 2;
    const tops = [];
    for (const r of rects) if (!tops.some(t => Math.abs(t - r.top) < half)) tops.push(r.top);
    return tops.length;
  };
  const shown = [...document.querySelectorAll('main .money, main .amount, main .code')].filter(e => e.textContent.trim());
  return {
    count: shown.length,
    broken: shown.filter(e => lines(e) > 1).map(e => e.textContent.trim()),
  };
}"""

# Money written in a page's words that no element keeps on one line.
LOOSE_AMOUNTS = r"""() => {
  const money = /(?:[−+-]?₩[0-9][0-9,.]*|[0-9][0-9,.]*원)/g;
  const loose = [];
  const walker = document.createTreeWalker(document.querySelector('main'), NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const found = node.textContent.match(money);
    if (found && !node.parentElement.closest('.money, .amount')) loose.push(...found);
  }
  return loose;
}"""


def amounts_stay_whole(page, name):
    shown = page.evaluate(BROKEN_AMOUNTS)
    assert shown["count"] > 0, f"{name}: no amount found"
    assert not shown["broken"], f"{name}: amounts broken across lines: {shown['broken']}"
    assert not page.evaluate(LOOSE_AMOUNTS), f"{name}: amounts outside an unbreakable span"


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("lang", ["ko", "en"])
def test_an_amount_never_breaks_across_lines(browser, demo, lang, size):
    ids = settled_history(demo)
    page = new_page(browser, lang, size)
    open_wallet(page, demo, demo.user("minji"))
    for name, path in [("home", "/wallet/"), ("activity", "/wallet/activity"), ("gift-cards", "/wallet/gift-cards"),
                       ("cash-out", "/wallet/cash-out"), ("cash-out-paid", f"/wallet/cash-outs/{ids['paid']}"),
                       ("cash-out-failed", f"/wallet/cash-outs/{ids['failed']}")]:
        page.goto(demo.base + path)
        amounts_stay_whole(page, f"{name}/{lang}/{size}")
        look_at(page, f"words-amounts-{name}-{lang}-{size}")
    # The quote, reached as a person reaches it.
    page.goto(demo.base + "/wallet/cash-out")
    choose_kakaopay(page, demo)
    page.get_by_role("button", name=words(lang, "cash-out-see-fees")).click()
    assert "/wallet/cash-out/quotes/" in page.url, page.url
    amounts_stay_whole(page, f"quote/{lang}/{size}")
    look_at(page, f"words-amounts-quote-{lang}-{size}")
    page.context.close()


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_the_menu_fits_one_row_on_a_phone(browser, demo, lang):
    page = new_page(browser, lang, "phone")
    open_wallet(page, demo, demo.user("minji"))
    tops = page.eval_on_selector_all("nav li", "items => items.map(li => li.offsetTop)")
    assert len(tops) == 5 and len(set(tops)) == 1, f"the menu takes {len(set(tops))} rows: {tops}"
    look_at(page, f"words-menu-{lang}-phone")
    page.context.close()


# ---------------------------------------------------------------- the catalog's words, not the API's

def pattern(lang, message_id):
    """Message `message_id` as a regular expression, each argument standing for any text."""
    parts = re.split(r"\{ \$[a-z_]+ \}", words(lang, message_id))
    return "^" + ".+?".join(re.escape(part) for part in parts) + "$"


# The explanation each fixed kind of money gives under the demo's policy.
FIXED_WHY = {"cash": "own_money", "refund": "withdrawable_refund", "promo": "promo", "carrier": "carrier",
             "card": "card"}
GIFT_WHY = ["gift_refundable", "gift_spend_more", "gift_expired", "gift"]


def pocket_lines(page):
    """Each kind of money on the page: its name and the sentence saying why."""
    return page.eval_on_selector_all(
        "li.pocket", "items => items.map(li => [li.querySelector('h3').innerText.trim(),"
                     " li.querySelector('.reason').innerText.trim()])")


def api_phrases(demo, user, lang):
    """What the API says that a page must not: each pocket's `reason`."""
    balances = demo.call("GET", f"/v1/users/{user}/balances?lang={lang}")
    return [p["reason"] for p in balances["pockets"] if p.get("reason")]


def check_pocket_words(page, lang, balances):
    names = {words(lang, f"pocket-{p}"): p for p in FIXED_WHY}
    names[words(lang, "pocket-cashback")] = "cashback"
    lines = pocket_lines(page)
    assert lines, "no pockets shown"
    for name, why in lines:
        pocket = names.get(name)
        if pocket == "cashback":
            held = next(p["available"] for p in balances["pockets"] if p["pocket"] == "cashback")
            code = "cashback_enough" if held >= 10_000 else "cashback_too_little"
            assert re.match(pattern(lang, f"pocket-why-{code}"), why), (name, why)
        elif pocket:
            assert why == words(lang, f"pocket-why-{FIXED_WHY[pocket]}"), (name, why)
        else:
            assert any(re.match(pattern(lang, f"pocket-why-{code}"), why) for code in GIFT_WHY), (name, why)


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_pages_speak_the_catalog_s_words_not_the_api_s(browser, demo, lang):
    ids = settled_history(demo)
    minji = demo.user("minji")
    balances = demo.call("GET", f"/v1/users/{minji}/balances?lang={lang}")
    api = api_phrases(demo, minji, lang) + ["Sent by: sandbox", "sandbox", "withdrawable sources", "spendable;"]
    page = new_page(browser, lang)
    open_wallet(page, demo, minji)
    check_pocket_words(page, lang, balances)
    for name, path in [("home", "/wallet/"), ("activity", "/wallet/activity"), ("gift-cards", "/wallet/gift-cards"),
                       ("cash-out", "/wallet/cash-out"), ("paid", f"/wallet/cash-outs/{ids['paid']}"),
                       ("receipt", f"/wallet/cash-outs/{ids['paid']}/receipt"),
                       ("failed", f"/wallet/cash-outs/{ids['failed']}")]:
        page.goto(demo.base + path)
        shown = page.inner_text("body")
        said = [phrase for phrase in api if phrase in shown]
        assert not said, f"{path} shows the API's words: {said}"
        look_at(page, f"words-catalog-{name}-{lang}")
    # The receipt names the rail as people do.
    page.goto(demo.base + f"/wallet/cash-outs/{ids['paid']}/receipt")
    assert words(lang, "rail-sandbox") in page.inner_text("main")
    page.context.close()

    # A wallet with nothing withdrawable: the cash-out page says why per kind, in words.
    junho = demo.user("junho")
    junho_balances = demo.call("GET", f"/v1/users/{junho}/balances?lang={lang}")
    page = new_page(browser, lang)
    open_wallet(page, demo, junho)
    check_pocket_words(page, lang, junho_balances)
    page.goto(demo.base + "/wallet/cash-out")
    if page.locator("li.pocket").count():
        check_pocket_words(page, lang, junho_balances)
    shown = page.inner_text("body")
    assert not [p for p in api_phrases(demo, junho, lang) if p in shown]
    look_at(page, f"words-catalog-junho-cash-out-{lang}")
    page.context.close()


# ---------------------------------------------------------------- words that mislead

def test_a_failed_cash_out_and_a_refunded_remainder_read_as_what_happened(browser, demo):
    settled_history(demo)
    minji = demo.user("minji")
    card = next(c for c in demo.call("GET", f"/v1/users/{minji}/gift-cards")["data"]
                if c.get("refundable") and c["face_value"] == 10_000)
    for lang in ["ko", "en"]:
        page = new_page(browser, lang)
        open_wallet(page, demo, minji)
        page.goto(demo.base + "/wallet/activity")
        shown = text_of(page)
        assert words(lang, "activity-cashout-released-failed") in shown, shown
        assert words(lang, "activity-cashout-released-canceled") not in shown, shown
        look_at(page, f"words-activity-failed-{lang}")
        page.context.close()

    # minji gets the rest of her ₩10,000 CultureLand card back (85 % used: ₩1,500 left).
    page = new_page(browser, "ko")
    open_wallet(page, demo, minji)
    page.goto(demo.base + f"/wallet/gift-cards/{card['id']}/refund")
    look_at(page, "words-refund-confirm-ko")
    page.get_by_role("button", name=words("ko", "refund-confirm", amount="1,500원")).click()
    assert "done=refund" in page.url, page.url
    page.context.close()

    for lang, refunded, used in [("ko", "1,500원", "8,500원"), ("en", "₩1,500", "₩8,500")]:
        page = new_page(browser, lang)
        open_wallet(page, demo, minji)
        page.goto(demo.base + "/wallet/gift-cards")
        item = page.locator("li.gift", has=page.locator(f"meter#used-{card['id']}"))
        said = item.inner_text()
        assert words(lang, "gift-card-refunded", amount=refunded) in said, said
        assert words(lang, "gift-card-used", percent="85%", amount=used) in said, said
        assert "100%" not in said, said
        look_at(page, f"words-gift-cards-refunded-{lang}")
        # Activity: the remainder line shows the ₩1,500 that moved, not ₩0.
        page.goto(demo.base + "/wallet/activity")
        line = page.locator("ol.lines > li", has_text=words(lang, "activity-gift-card-remainder",
                                                            to=words(lang, "pocket-cash"))).last
        amount = line.locator(".amount").inner_text().strip()
        assert amount == refunded, amount
        look_at(page, f"words-activity-refunded-{lang}")
        page.context.close()


def test_only_a_card_expiring_within_30_days_is_expiring_soon(browser, demo):
    # The demo's cards expire a year or five away: none is "expiring soon".
    minji = demo.user("minji")
    for lang in ["ko", "en"]:
        page = new_page(browser, lang)
        open_wallet(page, demo, minji)
        assert words(lang, "next-expiring-title") not in text_of(page), text_of(page)
        page.goto(demo.base + "/wallet/gift-cards")
        assert page.locator(".gift .soon").count() == 0
        page.context.close()
    # A card that expires in 10 days is, on the home page and the list.
    user = demo.call("POST", "/v1/users", {"external_id": "soon", "phone": "+821055550177"})["id"]
    program = demo.call("POST", "/v1/gift-card-programs",
                        {"brand": "SoonCard", "currency": "KRW", "region": "KR", "face_values": [10_000],
                         "validity_days": 10})["id"]
    card = demo.call("POST", "/v1/gift-cards", {"program_id": program, "face_value": 10_000,
                                                "purchased_with": "bank_transfer", "purchaser_ref": "soon"})
    demo.call("POST", f"/v1/users/{user}/gift-cards", {"brand": "SoonCard", "code": card["code"]})
    for lang in ["ko", "en"]:
        page = new_page(browser, lang)
        open_wallet(page, demo, user)
        shown = text_of(page)
        assert words(lang, "next-expiring-title") in shown and "SoonCard" in shown, shown
        look_at(page, f"words-expiring-home-{lang}")
        page.goto(demo.base + "/wallet/gift-cards")
        assert page.locator(".gift .soon").count() == 1
        look_at(page, f"words-expiring-gift-cards-{lang}")
        page.context.close()


# ---------------------------------------------------------------- errors that help

def described_error(page, field_id):
    """The text of the error the field `field_id` is tied to with aria-describedby."""
    field = page.locator(f"#{field_id}")
    assert field.get_attribute("aria-invalid") == "true"
    ids = field.get_attribute("aria-describedby").split()
    errors = [page.locator(f"#{i}").inner_text().strip() for i in ids if i.endswith("-error")]
    assert len(errors) == 1, ids
    return errors[0]


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_below_the_minimum_the_error_names_it_beside_the_field(browser, demo, lang):
    page = new_page(browser, lang)
    open_wallet(page, demo, demo.user("minji"))
    page.goto(demo.base + "/wallet/cash-out")
    choose_kakaopay(page, demo)
    page.get_by_label(words(lang, "cash-out-some")).check()
    page.get_by_label(words(lang, "cash-out-amount-label")).fill("1000")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name=words(lang, "cash-out-see-fees")).click()
    assert posted.value.status == 400
    expected = words(lang, "cash-out-below-minimum", minimum="5,000원" if lang == "ko" else "₩5,000")
    assert described_error(page, "amount") == expected
    assert expected in page.locator(".error-summary").inner_text(), "the summary at the top stays"
    look_at(page, f"words-below-minimum-{lang}")
    page.context.close()


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_a_code_of_the_wrong_length_says_how_long_codes_are(browser, demo, lang):
    page = new_page(browser, lang)
    open_wallet(page, demo, demo.user("minji"))
    page.goto(demo.base + "/wallet/gift-cards/redeem")
    page.get_by_label(words(lang, "redeem-brand-label")).select_option("CultureLand")
    page.get_by_label(words(lang, "redeem-code-label")).fill("1234-5678-9012")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name=words(lang, "redeem-action")).click()
    assert posted.value.status == 400
    assert described_error(page, "code") == words(lang, "redeem-code-length", digits=16, typed=12)
    look_at(page, f"words-code-length-{lang}")
    page.context.close()


def test_a_wrong_code_that_spent_a_try_is_not_posted_again_by_a_reload(browser, demo):
    page = new_page(browser, "ko")
    open_wallet(page, demo, demo.user("minji"))
    page.goto(demo.base + "/wallet/gift-cards/redeem")
    page.get_by_label(words("ko", "redeem-brand-label")).select_option("CultureLand")
    page.get_by_label(words("ko", "redeem-code-label")).fill("9999-8888-7777-6666")
    page.get_by_role("button", name=words("ko", "redeem-action")).click()
    assert "/wallet/gift-cards/redeem?refused=card_not_found" in page.url, page.url
    assert described_error(page, "code") == words("ko", "error-card_not_found")
    assert page.locator("#brand").input_value() == "CultureLand"
    reloaded = page.reload()
    assert reloaded.request.method == "GET" and reloaded.status == 200
    look_at(page, "words-wrong-code-ko")
    page.context.close()
