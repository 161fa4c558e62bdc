"""A patient's own record in the browser: the profile with allergies, conditions and in-person
visits; family members (a guardian for a child); insurance (linking with an e-voucher, the
settlements with their sentences, invoices and their printable page, claims for bills paid in
full); who accessed the record; and triage, signed in or not. Bills are made through the JSON API.
Every page is opened in zh-CN and in English; each form's bad input is refused beside its field
with nothing changed."""

import datetime
import os
import re
import subprocess
import uuid

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

import harness
from harness import (ERROR_TITLES, ROOT, Api, KeptPages, assert_accessible, assert_fits_phone, assert_rendered,
                     fetch_as_browser, named, national_id, open_in_both_languages, refusal, set_value, sign_in, submit,
                     texts, type_into, use_language, visible, wait, words)

PAGES = KeptPages()  # every page opened and every refusal shown, for the validator
LEAK = re.compile(r"\{\{|\b(?:me|triage|audit|role|quote|enum|fieldError|nav|frame|error)\.[A-Za-z]")


def quzhou_national_id(born, serial="123"):
    """A valid 18-character national ID number of Quzhou (330802) for someone born on `born`."""
    return national_id("330802" + born.replace("-", "") + serial)


class World(Api):
    """The JSON API as the demo accounts use it, to bring bills and accesses to the pages."""

    def __init__(self, server):
        super().__init__(server.url)
        self.server = server

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
def world(server):
    return World(server)


def assert_page(driver, language):
    """The page rendered in `language`, is no error page, shows no template or catalogue path, and
    is kept as served for the validator."""
    assert_shown(driver, language)
    served = PAGES.served(driver)
    assert served.status_code == 200, f"{driver.current_url} answered {served.status_code}"


def assert_shown(driver, language):
    """The page shown (perhaps the answer to a form) is in `language`, no error page, leaks no
    template or catalogue path, fits the phone and is accessible."""
    assert_rendered(driver, language, LEAK)
    assert_fits_phone(driver)
    assert_accessible(driver)


def field_error(driver, field_id, error_id):
    """`harness.field_error`: the page showing the refusal is also accessible, and kept for the validator."""
    return harness.field_error(driver, field_id, error_id, kept=PAGES)


# MARK: Profile


def test_profile_allergies_conditions_and_in_person_visits(server, world, driver):
    base, phone = server.url, "13800000010"
    sign_in(driver, base, phone)
    open_in_both_languages(driver, base, ["/me"], assert_page)
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
    open_in_both_languages(driver, base, ["/me/family"], assert_page)

    type_into(driver, "realName", "黄大宝")
    type_into(driver, "nationalId", quzhou_national_id("1980-02-03"))
    Select(driver.find_element(By.ID, "relationship")).select_by_value("child")
    submit(driver, "#add-member")
    assert field_error(driver, "nationalId", "nationalId-error") == refusal("en", "child_older_than_holder")
    assert driver.find_element(By.ID, "realName").get_attribute("value") == "黄大宝"
    assert Select(driver.find_element(By.ID, "relationship")).first_selected_option.get_attribute("value") == "child"
    assert world.call("GET", f"/patients/{world.patient(phone)}/family", phone)["items"] == []

    type_into(driver, "realName", "黄小宝")
    type_into(driver, "nationalId", quzhou_national_id("2019-06-01"))
    submit(driver, "#add-member")
    card = visible(driver, "#family-list li.card")
    assert "黄小宝" in card.text and words("en", "me", "relationship", "child") in card.text
    assert words("en", "me", "family", "guardian") in card.text
    members = world.call("GET", f"/patients/{world.patient(phone)}/family", phone)["items"]
    assert [(m["realName"], m["relationship"], m["isMinor"]) for m in members] == [("黄小宝", "child", True)]
    child = members[0]["patientId"]
    open_in_both_languages(driver, base, ["/me/family", f"/me/family/{child}"], assert_page)

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
    open_in_both_languages(driver, base, ["/me/insurance"], assert_page)
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
    open_in_both_languages(driver, base, ["/me/insurance"], assert_page)
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
    printed = fetch_as_browser(driver, base + f"/me/invoices/{full['id']}/print")
    assert printed.status_code == 200 and printed.headers["Content-Type"].startswith("text/html")
    assert "script-src" not in printed.headers["Content-Security-Policy"] and "'sha256-" in printed.headers["Content-Security-Policy"]
    assert fetch_as_browser(driver, base + f"/me/invoices/{uuid.uuid4()}/print").status_code == 404

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
    open_in_both_languages(driver, base, ["/me/insurance"], assert_page)


# MARK: Access log


def test_the_access_log_shows_who_read_the_record_and_what_was_denied(server, world, driver):
    base, phone = server.url, "13800000003"
    patient = world.patient(phone)
    # Another patient tries to read this record: denied, and the record's holder sees it.
    world.call("GET", f"/patients/{patient}", "13800000007", expect=403)
    sign_in(driver, base, phone)
    for _ in range(8):  # enough reads of their own for a second page
        driver.get(base + "/me")
    open_in_both_languages(driver, base, ["/me/access-log"], assert_page)

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
    open_in_both_languages(driver, base, ["/triage"], assert_page)

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
    PAGES.shown(driver)
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
    PAGES.shown(driver)


def test_every_page_is_valid_html():
    """The pages the tests above opened, as served, and the refusals they showed pass the Nu HTML
    checker."""
    PAGES.assert_valid("helper-me-html-")
