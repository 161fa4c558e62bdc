"""The regulator's traces and data-access pages in the browser: a prescription taken round the
whole loop through the JSON API (consultation, signature, review, O2O reservation paid with
insurance, dispensing with codes, delivery, receipt) is found by its traceability code, its patient
and its doctor, and its trace shows every step, verifying; the access log shows who read the
patient's data and why. Every page is opened in zh-CN and in English, and validates."""

import itertools
import os
import re
import tempfile

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from harness import (Api, KeptPages, assert_rendered, named, open_in_both_languages, sign_in, type_into, use_language,
                     visible, words)

REGULATOR = "13500000001"
PATIENT = "13800000005"         # asthma, insured in Quzhou
DOCTOR = "13900000003"          # respiratory doctor at the Quzhou internet hospital
PHARMACIST = "13700000001"
STAFF = "13700000011"           # 荷花店
COURIER = "13700000021"
HEHUA = named("institution:pharmacy-1")
LEAK = re.compile(r"\{\{|\b(?:traceChain|dataAccess|trace|enum|nav|frame|role)\.[A-Za-z]")


class World(Api):
    def whole_loop(self):
        """The prescription, its patient's id and its codes, after the whole loop."""
        self.link_coverage(PATIENT, "33080000000005")
        order = self.call("POST", "/orders", PATIENT, {"doctorId": named("doctor:3"), "service": "textPackage",
                                                        "encounterId": named("encounter:" + PATIENT)}, key=True, expect=201)["id"]
        self.call("POST", "/wallet/top-ups", PATIENT, {"amountFen": 100000}, key=True, expect=201)
        consultation = self.call("POST", f"/orders/{order}/pay", PATIENT, key=True)["consultationId"]
        self.call("POST", f"/consultations/{consultation}/accept", DOCTOR)
        self.call("POST", f"/consultations/{consultation}/messages", PATIENT, {"text": "气喘又犯了"}, expect=201)
        salbutamol = next(d for d in self.call("GET", "/drugs?limit=10&q=salbutamol", DOCTOR)["items"]
                          if d["productCode"] == "8100171")
        draft = self.call("POST", f"/consultations/{consultation}/prescriptions", DOCTOR, {
            "diagnosis": "J45.9", "items": [{"drugId": salbutamol["id"], "dose": 2, "doseUnit": "puff", "timesPerDay": 2, "days": 7}],
        }, expect=201)
        prescription = draft["id"]
        self.call("POST", f"/prescriptions/{prescription}/sign", DOCTOR)
        self.call("POST", f"/prescriptions/{prescription}/review", PHARMACIST, {"decision": "approve"})
        medicine = self.call("POST", f"/prescriptions/{prescription}/medicine-orders", PATIENT, {
            "pharmacyId": HEHUA, "mode": "o2o", "lat": 28.9650, "lon": 118.8720}, key=True, expect=201)
        self.call("POST", f"/medicine-orders/{medicine['id']}/pay", PATIENT, key=True)
        codes = self.trace_codes(medicine, STAFF, itertools.count(7000))
        self.call("POST", f"/medicine-orders/{medicine['id']}/dispense", STAFF, {"codes": codes})
        for status in ["pickedUp", "inTransit", "delivered"]:
            self.call("POST", f"/medicine-orders/{medicine['id']}/delivery", COURIER, {"status": status})
        self.call("POST", f"/medicine-orders/{medicine['id']}/receipt", PATIENT)
        return {"prescription": prescription, "patient": named("patient:" + PATIENT), "codes": codes,
                "doctor": named("account:" + DOCTOR)}


@pytest.fixture(scope="module")
def loop(server):
    return World(server.url).whole_loop()


@pytest.fixture(scope="module")
def kept():
    return KeptPages()


def assert_page(driver, language):
    assert_rendered(driver, language, LEAK, reading_only=True)


def test_trace_pages_render_in_both_languages(server, loop, driver, kept):
    base = server.url
    sign_in(driver, base, REGULATOR)
    paths = ["/traces", f"/traces?prescription={loop['prescription']}", f"/traces?by=code&q={loop['codes'][0]}",
             f"/traces?by=patient&q={loop['patient']}", f"/traces?by=doctor&q={loop['doctor']}",
             "/supervision/access", f"/supervision/access?patient={loop['patient']}"]
    open_in_both_languages(driver, base, paths, assert_page)
    for path in paths:
        driver.get(base + path)
        assert kept.served(driver).status_code == 200, path


def test_a_regulator_finds_a_prescription_by_code_and_sees_every_step_verified(server, loop, driver):
    base = server.url
    sign_in(driver, base, REGULATOR)
    use_language(driver, "en")
    driver.get(base + "/traces")
    Select(driver.find_element(By.ID, "by")).select_by_value("code")
    type_into(driver, "prescription", loop["codes"][0])
    driver.find_element(By.CSS_SELECTOR, "form[role=search] button[type=submit]").click()
    link = visible(driver, f"#found a[href='/traces?prescription={loop['prescription']}' i]")
    link.click()
    assert "✔" in visible(driver, "#chain-verdict").text
    assert "✔" in visible(driver, "#chain-complete").text
    steps = driver.find_elements(By.CSS_SELECTOR, "#steps li")
    assert len(steps) == 11
    assert all("step-present" in step.get_attribute("class") for step in steps)
    assert set(loop["codes"]) <= set(visible(driver, "#codes").text.split())
    assert len(driver.find_elements(By.CSS_SELECTOR, "#trail tbody tr")) == 8
    assert "error" not in visible(driver, "#trail").get_attribute("innerHTML")
    folder = os.environ.get("MEDLOOP_SCREENSHOTS", os.path.join(tempfile.gettempdir(), "medloop-screenshots"))
    os.makedirs(folder, exist_ok=True)
    driver.set_window_size(1280, 3000)
    driver.save_screenshot(os.path.join(folder, "regulator-trace-chain.png"))


def test_by_patient_and_doctor_and_a_bad_number(server, loop, driver):
    base = server.url
    sign_in(driver, base, REGULATOR)
    for kind in ("patient", "doctor"):
        driver.get(f"{base}/traces?by={kind}&q={loop[kind]}")
        listed = [a.get_attribute("href").split("=")[-1].lower() for a in driver.find_elements(By.CSS_SELECTOR, "#found a")]
        assert loop["prescription"].lower() in listed, kind
    driver.get(f"{base}/traces?by=patient&q=nope")
    assert visible(driver, "#prescription").get_attribute("aria-invalid") == "true"


def test_the_access_log_shows_the_purpose_of_each_read(server, loop, driver):
    base = server.url
    sign_in(driver, base, REGULATOR)
    use_language(driver, "en")
    driver.get(f"{base}/traces?prescription={loop['prescription']}")
    driver.get(f"{base}/supervision/access?patient={loop['patient']}")
    purposes = {cell.text for cell in driver.find_elements(By.CSS_SELECTOR, "#accesses td[class^=purpose-]")}
    assert words("en", "dataAccess", "purposes", "supervision") in purposes
    assert words("en", "dataAccess", "purposes", "prescriptionReview") in purposes


def test_pages_validate(kept):
    kept.assert_valid("medloop-trace-pages-")
