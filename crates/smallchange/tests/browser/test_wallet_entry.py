"""The ways into the wallet in real headless Chromium, at phone size, in Korean and English:
a wallet link survives the previews messengers draw of it (any number of GETs, any agent,
and a page that says nothing of the user) and opens with its one button, once; a wrong
sign-in code says how many tries are left, a reload spends none, and something that is
not six digits spends none either; a code can be sent again, until the limit says how long
to wait; the sign-in page names the operator, and the demo's SMS all sign with its one name.

Run by scripts/test (scripts/lib/browser.sh), which sets SMALLCHANGE_BIN and SCREENSHOTS."""

import re
import urllib.request

import pytest

from conftest import demo_server, look_at, new_page, open_wallet, words

# The name the demo gives its operator (src/cli/demo.rs, DEMO_OPERATOR_NAME).
DEMO_OPERATOR = "smallchange demo"
PREVIEW_AGENTS = ["facebookexternalhit/1.1", "kakaotalk-scrap/1.0",
                  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 KAKAOTALK 10.4.5"]


@pytest.fixture(scope="module")
def demo():
    with demo_server() as api:
        yield api


def preview(url, agent):
    """What a messenger's preview fetch gets: status, body and cookies set."""
    request = urllib.request.Request(url, headers={"User-Agent": agent})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, response.read().decode(), response.headers.get_all("Set-Cookie") or []


def user_data(demo, user):
    """What the link's page must never show of `user`: names, phone, ids, money."""
    found = demo.call("GET", f"/v1/users/{user}")
    phone = found["phone"]
    local = "0" + phone[3:]
    return [user, found["external_id"], found.get("name") or user, phone, phone[3:], local,
            f"{local[:3]}-{local[3:7]}-{local[7:]}", "김민지", "원", "₩"]


def text_before(template):
    """The fixed start of a catalog message, before its first argument."""
    return template.split("{ $")[0].strip()


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_a_link_survives_previews_and_opens_once_with_its_button(browser, demo, lang):
    w = lambda message_id, **args: words(lang, message_id, **args)
    minji = demo.user("minji")
    secrets = user_data(demo, minji)
    link = demo.wallet_link(minji)
    for agent in PREVIEW_AGENTS:
        status, body, cookies = preview(link, agent)
        assert status == 200, agent
        assert not any(c.startswith("sc_session=") for c in cookies), cookies
        shown = [s for s in secrets if s in body]
        assert not shown, f"{agent}: the page shows {shown}"

    # The person's phone opens it, and so does a second tab (the link kept open).
    page = new_page(browser, lang)
    response = page.goto(link)
    assert response.status == 200
    text = page.inner_text("body")
    assert w("link-open-title", operator=DEMO_OPERATOR) in text, text
    assert not [s for s in secrets if s in text], text
    look_at(page, f"entry-link-{lang}-phone")
    tab = new_page(browser, lang)
    assert tab.goto(link).status == 200

    page.get_by_role("button", name=w("link-open-button")).click()
    page.wait_for_url("**/wallet/")
    assert w("total-label") in page.inner_text("body")

    # The second tab's button comes too late: used, the link opens nothing.
    with tab.expect_navigation():
        tab.get_by_role("button", name=w("link-open-button")).click()
    assert w("link-refused-title") in tab.inner_text("body")
    assert not any(c["name"] == "sc_session" for c in tab.context.cookies())
    look_at(tab, f"entry-link-used-{lang}-phone")
    # And its page now says so at once.
    assert tab.goto(link).status == 410
    assert w("link-refused-text") in tab.inner_text("body")
    page.context.close()
    tab.context.close()


def new_user(demo, n):
    """A user with a phone of their own (limits count per phone): id and local number."""
    local = f"010-5550-{n:04d}"
    phone = "+82" + local.replace("-", "")[1:]
    user = demo.call("POST", "/v1/users", {"external_id": f"entry-{n}", "phone": phone})["id"]
    return user, local, phone


def ask_for_code(page, demo, lang, local):
    w = lambda message_id, **args: words(lang, message_id, **args)
    page.goto(demo.base + f"/wallet/sign-in/{demo.tenant()}")
    page.get_by_label(w("phone-label")).fill(local)
    page.get_by_role("button", name=w("send-code")).click()
    page.wait_for_url("**/wallet/code/**")


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_a_wrong_sign_in_code_says_the_tries_left_and_a_reload_spends_none(browser, demo, lang):
    w = lambda message_id, **args: words(lang, message_id, **args)
    _, local, phone = new_user(demo, 10 if lang == "ko" else 11)
    page = new_page(browser, lang)
    page.goto(demo.base + f"/wallet/sign-in/{demo.tenant()}")
    heading = page.locator("h1").inner_text()
    assert heading == w("sign-in-heading", operator=DEMO_OPERATOR), heading
    look_at(page, f"entry-sign-in-{lang}-phone")
    ask_for_code(page, demo, lang, local)
    code_url = page.url
    code = demo.sms_code(phone)
    wrong = "111111" if code != "111111" else "222222"

    page.get_by_label(w("code-label")).fill(wrong)
    with page.expect_navigation():
        page.get_by_role("button", name=w("sign-in"), exact=True).click()
    assert w("sign-in-code-wrong", left=4) in page.inner_text("body")
    assert page.get_by_role("button", name=w("sign-in-code-resend")).is_visible()
    look_at(page, f"entry-code-wrong-{lang}-phone")
    # Reloading shows the same: the code is not sent again.
    for _ in range(2):
        page.reload()
        text = page.inner_text("body")
        assert w("sign-in-code-wrong", left=4) in text and w("sign-in-code-wrong", left=3) not in text, text
    # Letters are refused before they cost a try.
    page.get_by_label(w("code-label")).fill("12ab")
    with page.expect_navigation():
        page.get_by_role("button", name=w("sign-in"), exact=True).click()
    assert w("error-invalid_code") in page.inner_text("body")
    look_at(page, f"entry-code-letters-{lang}-phone")
    page.goto(code_url)
    assert w("sign-in-code-wrong", left=4) in page.inner_text("body")

    page.get_by_label(w("code-label")).fill(code)
    page.get_by_role("button", name=w("sign-in"), exact=True).click()
    page.wait_for_url("**/wallet/")
    assert w("total-label") in page.inner_text("body")
    page.context.close()


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_a_sign_in_code_is_sent_again_until_the_limit_says_when(browser, demo, lang):
    w = lambda message_id, **args: words(lang, message_id, **args)
    _, local, phone = new_user(demo, 20 if lang == "ko" else 21)
    page = new_page(browser, lang)
    ask_for_code(page, demo, lang, local)
    seen = {page.url}
    sent = lambda: [m for m in demo.call("GET", "/v1/dev/sms-outbox") if m["to"] == phone]
    # Three codes to a number at once: the first and two more.
    for count in (2, 3):
        page.get_by_role("button", name=w("sign-in-code-resend")).click()
        page.wait_for_url(lambda url: url not in seen and "/wallet/code/" in url)
        seen.add(page.url)
        assert len(sent()) == count
        assert w("sign-in-code-wrong", left=4) not in page.inner_text("body"), "a new code has all its tries"
    with page.expect_navigation():
        page.get_by_role("button", name=w("sign-in-code-resend")).click()
    text = page.inner_text("body")
    assert text_before(w("sign-in-code-resend-wait")) in text, text
    assert re.search(r"\d+", text.split(text_before(w("sign-in-code-resend-wait")))[1]), text
    assert len(sent()) == 3, "nothing is sent past the limit"
    look_at(page, f"entry-code-resend-refused-{lang}-phone")
    # The newest code signs in.
    page.get_by_label(w("code-label")).fill(demo.sms_code(phone))
    page.get_by_role("button", name=w("sign-in"), exact=True).click()
    page.wait_for_url("**/wallet/")
    page.context.close()


def test_the_demo_signs_every_sms_with_its_one_name(browser, demo):
    page = new_page(browser, "ko")
    ask_for_code(page, demo, "ko", "010-8765-4321")
    page.context.close()
    texts = [m["text"] for m in demo.call("GET", "/v1/dev/sms-outbox")]
    kinds = {"sign-in": "지갑 로그인 코드", "cash-out": "출금 확인 코드"}
    for kind, words_in in kinds.items():
        assert any(words_in in t for t in texts), f"no {kind} SMS in {texts}"
    names = {re.match(r"\[([^\]]+)\] ", t).group(1) for t in texts}
    assert names == {DEMO_OPERATOR}, names
