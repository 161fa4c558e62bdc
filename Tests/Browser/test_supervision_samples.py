"""Random prescription audits in the browser: three prescriptions signed through the JSON API; the
regulator draws a sample on its page (a bad drug class refused beside its field, nothing drawn),
the sample lists every prescription with its pharmacist; the platform's pharmacist, outside the
prescriber's institution, records a verdict (an inappropriate one without a category refused
beside the category); the internet hospital's pharmacist has nothing to judge; the doctor reads
their own result. Every page is opened in zh-CN and in English."""

import re

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from harness import (Api, KeptPages, assert_accessible, assert_rendered, field_error, named, open_in_both_languages,
                     shows, sign_in, submit_with, type_into, use_language, visible)

REGULATOR = "13500000001"
OPERATOR = "13000000001"
PATIENT = "13800000005"         # asthma, seen at the tertiary hospital
DOCTOR = "13900000003"          # respiratory doctor, prescribing at the Quzhou internet hospital
SAME_INSTITUTION = "13700000001"
PLATFORM_PHARMACIST = "13700000002"
LEAK = re.compile(r"\{\{|\b(?:samples|enum|nav|frame|role|fieldError)\.[A-Za-z]")


class World(Api):
    def signed_prescriptions(self, count):
        """`count` signed salbutamol prescriptions of one consultation of the respiratory doctor."""
        order = self.call("POST", "/orders", PATIENT, {"doctorId": named("doctor:3"), "service": "textPackage",
                                                        "encounterId": named("encounter:" + PATIENT)}, key=True, expect=201)["id"]
        self.call("POST", "/wallet/top-ups", PATIENT, {"amountFen": 100000}, key=True, expect=201)
        consultation = self.call("POST", f"/orders/{order}/pay", PATIENT, key=True)["consultationId"]
        self.call("POST", f"/consultations/{consultation}/accept", DOCTOR)
        salbutamol = next(d for d in self.call("GET", "/drugs?limit=10&q=salbutamol", DOCTOR)["items"]
                          if d["productCode"] == "8100171")
        ids = []
        for _ in range(count):
            draft = self.call("POST", f"/consultations/{consultation}/prescriptions", DOCTOR, {
                "diagnosis": "J45.9",
                "items": [{"drugId": salbutamol["id"], "dose": 2, "doseUnit": "puff", "timesPerDay": 2, "days": 7}],
            }, expect=201)
            for finding in draft["findings"]:
                if finding.get("blocksSigning"):
                    self.call("POST", f"/prescriptions/{draft['id']}/overrides", DOCTOR,
                              {"rule": finding["rule"], "drugIds": finding["drugIds"], "reason": "已评估"})
            self.call("POST", f"/prescriptions/{draft['id']}/sign", DOCTOR)
            ids.append(draft["id"].lower())
        return ids


@pytest.fixture(scope="module")
def prescriptions(server):
    return World(server.url).signed_prescriptions(3)


@pytest.fixture(scope="module")
def kept():
    return KeptPages()


def assert_page(driver, language):
    assert_rendered(driver, language, LEAK, reading_only=True)


def drawn_ids(driver):
    return {row.get_attribute("data-prescription").lower() for row in driver.find_elements(By.CSS_SELECTOR, "#sample-items tbody tr")}


def test_audit_samples_are_drawn_judged_and_read_by_the_doctor(server, prescriptions, driver, kept):
    base = server.url
    sign_in(driver, base, REGULATOR)
    driver.get(base + "/supervision/samples")
    use_language(driver, "en")

    # A drug class that is no ATC code is refused beside it; nothing is drawn.
    type_into(driver, "size", "3")
    type_into(driver, "drugClass", "8X")
    submit_with(driver, "draw-submit")
    assert field_error(driver, "drugClass", "drugClass-error", kept)
    assert not driver.find_elements(By.CSS_SELECTOR, "#samples tbody tr")

    # A sample larger than the population is refused with the reason.
    type_into(driver, "drugClass", "R03")
    type_into(driver, "size", "4")
    submit_with(driver, "draw-submit")
    assert visible(driver, "#draw-error").text
    assert not driver.find_elements(By.CSS_SELECTOR, "#samples tbody tr")

    # Drawn with a seed: the sample page lists the three prescriptions, each with its pharmacist.
    type_into(driver, "size", "3")
    type_into(driver, "seed", "20261202")
    submit_with(driver, "draw-submit")
    shows(driver, "#sample-seed", "20261202")
    assert drawn_ids(driver) == set(prescriptions)
    sample = visible(driver, "#sample").get_attribute("data-id")
    kept.served(driver)

    # The internet hospital's own pharmacist has nothing to judge.
    sign_in(driver, base, SAME_INSTITUTION)
    driver.get(base + "/audit-samples")
    visible(driver, "#no-assigned")

    # The platform's pharmacist: an inappropriate verdict without a category is refused beside it.
    sign_in(driver, base, PLATFORM_PHARMACIST)
    driver.get(base + "/audit-samples")
    use_language(driver, "en")
    card = visible(driver, "#assigned li")
    prescription = card.get_attribute("data-prescription")
    driver.find_element(By.ID, f"verdict-inappropriate-{prescription}").click()
    type_into(driver, f"notes-{prescription}", "Seven days of a reliever without a controller")
    submit_with(driver, f"verdict-submit-{prescription}")
    assert field_error(driver, f"category-{prescription}", f"category-error-{prescription}", kept)
    assert driver.find_element(By.ID, f"notes-{prescription}").get_attribute("value") == "Seven days of a reliever without a controller"

    Select(driver.find_element(By.ID, f"category-{prescription}")).select_by_value("indication")
    submit_with(driver, f"verdict-submit-{prescription}")
    assert not driver.find_elements(By.CSS_SELECTOR, f"#assigned li[data-prescription='{prescription}']")
    driver.get(base + "/audit-samples?all=true")
    judged = visible(driver, f"#assigned li[data-prescription='{prescription}']")
    assert "Inappropriate" in judged.text

    # The regulator sees the verdict and the doctor's result.
    sign_in(driver, base, REGULATOR)
    driver.get(f"{base}/supervision/samples/{sample}")
    use_language(driver, "en")
    row = visible(driver, f"#sample-items tr[data-prescription='{prescription}']")
    assert "Inappropriate" in row.text and "Indication" in row.text
    assert "100.00 %" in visible(driver, "#sample-results").text

    # The doctor reads their own result.
    sign_in(driver, base, DOCTOR)
    driver.get(base + "/doctor/audits")
    use_language(driver, "en")
    assert visible(driver, "#my-inappropriate").text == "1"
    assert prescription.lower() in {r.get_attribute("data-prescription").lower()
                                    for r in driver.find_elements(By.CSS_SELECTOR, "#my-verdicts tbody tr")}


def test_audit_sample_pages_render_in_both_languages_accessible_and_valid(server, prescriptions, driver, kept):
    base = server.url
    for phone, paths in [(REGULATOR, ["/supervision/samples"]), (OPERATOR, ["/supervision/samples"]),
                         (PLATFORM_PHARMACIST, ["/audit-samples", "/audit-samples?all=true"]), (DOCTOR, ["/doctor/audits"])]:
        sign_in(driver, base, phone)
        open_in_both_languages(driver, base, paths, assert_page)
        for path in paths:
            driver.get(base + path)
            assert_accessible(driver)
            assert kept.served(driver).status_code == 200, path
    kept.assert_valid("medloop-sample-pages-")
