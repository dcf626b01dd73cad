"""What the browser tests share: a demo server of their own (SQLite by default, or a fresh
PostgreSQL database when SMALLCHANGE_TEST_POSTGRES_URL is set and asked for), a small JSON
client with the demo's admin key, Debian's headless Chromium, and `look_at`, which every
page a test opens goes through: no sideways scrolling on a phone, axe-core finds nothing
serious or critical, and a screenshot is kept for a person to look at."""

import json
import os
import re
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import sync_playwright

BIN = os.environ.get("SMALLCHANGE_BIN", "target/debug/smallchange")
SCREENSHOTS = Path(os.environ.get("SCREENSHOTS", "target/browser-screenshots"))
SIZES = {"phone": (390, 844), "desktop": (1280, 800)}
PSQL = "/usr/lib/postgresql/15/bin/psql"


class Api:
    """A small JSON client for the demo server, with its admin key, and what the demo printed."""

    def __init__(self, base, key, printed=""):
        self.base, self.key, self.printed = base, key, printed

    def call(self, method, path, body=None, expect_error=False):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Authorization", f"Bearer {self.key}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            if expect_error:
                return json.loads(error.read())
            raise AssertionError(f"{method} {path}: {error.code} {error.read().decode()}") from None

    def user(self, external_id):
        return self.call("GET", f"/v1/users?external_id={external_id}")["data"][0]["id"]

    def wallet_link(self, user):
        url = self.call("POST", f"/v1/users/{user}/wallet-links", {})["url"]
        return url if url.startswith("http") else self.base + url

    def tenant(self):
        return re.search(r"/wallet/sign-in/(ten_[a-z0-9]+)", self.printed).group(1)

    def sms_code(self, phone=None):
        messages = self.call("GET", "/v1/dev/sms-outbox")
        text = next(m["text"] for m in messages if phone is None or m["to"] == phone)
        return re.findall(r"\d{6}", text)[-1]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def demo_server(db_url=None, settings=None):
    """`serve --demo` on a fresh database (SQLite unless `db_url`) and a free loopback port,
    stopped at the end; `settings`, if given, is the text of a TOML settings file for it
    (`--config`), e.g. `"[cashout]\nquote_ttl_s = 5\n"`."""
    work = tempfile.mkdtemp(prefix="smallchange-browser.")
    port = free_port()
    log = open(os.path.join(work, "serve.log"), "w+")
    db = db_url or f"sqlite://{work}/demo.db"
    # PostgreSQL needs a key to seal secrets with (SQLite keeps one beside its file).
    env = dict(os.environ, SMALLCHANGE_ENCRYPTION_KEY=os.urandom(32).hex()) if db_url else None
    config = []
    if settings is not None:
        path = os.path.join(work, "settings.toml")
        Path(path).write_text(settings, encoding="utf-8")
        config = ["--config", path]
    process = subprocess.Popen([BIN, *config, "serve", "--demo", "--db", db, "--listen", f"127.0.0.1:{port}"],
                               stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        printed = ""
        for _ in range(600):
            log.seek(0)
            printed = log.read()
            # The console's line is the demo's last.
            if "console: " in printed:
                break
            if process.poll() is not None:
                break
            time.sleep(0.05)
        key = re.search(r"admin key: (sk_[A-Za-z0-9]+)", printed)
        assert key and "console: " in printed, f"the demo server did not start:\n{printed}"
        yield Api(f"http://127.0.0.1:{port}", key.group(1), printed)
    finally:
        process.terminate()
        process.wait(timeout=30)


def fresh_postgres_database():
    """A new database on the test PostgreSQL: its URL."""
    server = os.environ["SMALLCHANGE_TEST_POSTGRES_URL"]
    name = "browser_" + uuid.uuid4().hex[:12]
    subprocess.run([PSQL, server, "-q", "-c", f"CREATE DATABASE {name}"], check=True, capture_output=True)
    return server.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        args = ["--no-sandbox"] if os.geteuid() == 0 else []
        chromium = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=args)
        yield chromium
        chromium.close()


def new_page(browser, lang="ko", size="phone", javascript=True):
    """A fresh browser (no cookies) whose language is `lang`, at `size`."""
    width, height = SIZES[size]
    locale = "ko-KR" if lang == "ko" else "en-US"
    context = browser.new_context(viewport={"width": width, "height": height}, locale=locale,
                                  java_script_enabled=javascript)
    return context.new_page()


# What one page may weigh over the wire, with its stylesheet and script.
PAGE_BYTES_MAX = 100 * 1024

WEIGHT = """() => {
  const entries = [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')];
  return entries.reduce((sum, e) => sum + (e.encodedBodySize || 0), 0);
}"""


def look_at(page, name):
    """What every page must be: in the language it says, no wider than the screen, nothing
    serious or critical for axe-core, and kept as a screenshot `name`.png."""
    width = page.viewport_size["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width, f"{name} scrolls sideways"
    weight = page.evaluate(WEIGHT)
    assert 0 < weight < PAGE_BYTES_MAX, f"{name} weighs {weight} bytes"
    # Nothing but this server: every resource the page loaded came from its own origin.
    origin = page.evaluate("location.origin")
    others = page.evaluate("performance.getEntriesByType('resource').map(e => e.name)")
    assert all(url.startswith(origin) or url.startswith("data:") for url in others), others
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)
    results = Axe().run(page)
    serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert not serious, f"{name}: " + json.dumps(serious, indent=1, ensure_ascii=False)[:3000]


LOCALES = Path(__file__).resolve().parents[2] / "locales"


def words(lang, message_id, **args):
    """Message `message_id` of the wallet's `lang` catalog, with `args` filled in: the tests
    find buttons and headings by what a person reads, from the same catalogs as the pages."""
    for path in sorted((LOCALES / lang).glob("*.ftl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith(message_id + " = "):
                text = line.split(" = ", 1)[1]
                for name, value in args.items():
                    text = text.replace("{ $" + name + " }", str(value))
                return text
    raise KeyError(f"no message {message_id} in {lang}")


def totp_now(secret_base32, ahead_s=0):
    """The current 6-digit TOTP code (RFC 6238: SHA-1, 30 s) of a base32 secret; with
    `ahead_s`, the code of that many seconds later (the next step's is accepted too)."""
    import base64
    import hashlib
    import hmac
    import struct
    key = base64.b32decode(secret_base32.replace(" ", "").upper() + "=" * (-len(secret_base32.replace(" ", "")) % 8))
    digest = hmac.new(key, struct.pack(">Q", (int(time.time()) + ahead_s) // 30), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = (struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000
    return f"{number:06d}"


def open_wallet(page, url):
    """Opens the one-time wallet link `url` as a person does: its page, which names the
    operator and uses nothing up (messengers fetch it to draw a preview), then its one
    button, which uses the link and lands on the wallet's home page. The link page's
    response."""
    response = page.goto(url)
    assert response.status == 200, f"the wallet link's page answered {response.status}"
    with page.expect_navigation():
        page.locator("form[action^='/wallet/link/'] button").click()
    assert page.url.endswith("/wallet/"), page.url
    return response
