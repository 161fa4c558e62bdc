"""The regulator's alert queue in the browser: a traceability code dispensed a second time (made
through the JSON API, as the pharmacy would scan it) raises an alert that shows up in the open queue
without a reload; the regulator reads its evidence, is refused a decision without a note (nothing
changes), investigates, adds a note and confirms it; the alert moves to the confirmed queue. Every
page is opened in zh-CN and in English."""

import itertools
import re
import time

import pytest
from selenium.webdriver.common.by import By

import harness
from harness import (Api, KeptPages, assert_accessible, assert_fits_phone, assert_rendered, mark, named,
                     open_in_both_languages, same_page, shows, sign_in, submit_with, use_language, visible, words)

REGULATOR, PHARMACIST, STAFF = "13500000001", "13700000001", "13700000011"
CODES = itertools.count(8000001)  # the serial numbers of the traceability codes
PAGES = KeptPages()
LEAK = re.compile(r"\{\{|\b(?:alerts|enum|fieldError|nav|frame|error|role)\.[A-Za-z]")


class World(Api):
    """The JSON API as the demo accounts use it, to bring a reused traceability code to the monitor."""

    def paid_order(self, patient):
        """An approved amlodipine prescription of doctor 1 for `patient`, its medicine order paid at
        demo pharmacy 1 for pickup."""
        me = self.call("GET", "/me", patient)
        encounter = self.call("POST", f"/patients/{me['patientId']}/encounters", patient,
                              {"hospitalId": named("institution:tertiary"), "date": "2026-06-01", "icd10": "I10"}, expect=201)
        self.call("POST", "/wallet/top-ups", patient, {"amountFen": 50000}, key=True, expect=201)
        order = self.call("POST", "/orders", patient, {"doctorId": named("doctor:1"), "service": "textPackage",
                                                       "encounterId": encounter["id"]}, key=True, expect=201)
        consultation = self.call("POST", f"/orders/{order['id']}/pay", patient, key=True)["consultationId"]
        doctor = "13900000001"
        self.call("POST", f"/consultations/{consultation}/accept", doctor)
        items = [{"drugId": self.drug("氨氯地平")["id"], "dose": 5, "doseUnit": "mg", "timesPerDay": 1, "days": 7}]
        draft = self.call("POST", f"/consultations/{consultation}/prescriptions", doctor, {"diagnosis": "I10", "items": items},
                          expect=201)
        self.call("POST", f"/prescriptions/{draft['id']}/sign", doctor)
        self.call("POST", f"/prescriptions/{draft['id']}/review", PHARMACIST, {"decision": "approve"})
        medicine = self.call("POST", f"/prescriptions/{draft['id']}/medicine-orders", patient,
                             {"pharmacyId": named("institution:pharmacy-1"), "mode": "pickup", "lat": 28.9650, "lon": 118.8720},
                             key=True, expect=201)
        return self.call("POST", f"/medicine-orders/{medicine['id']}/pay", patient, key=True)

    def reused_code(self):
        """Dispenses one order with fresh codes, then scans the same codes for a second order: the
        pharmacy is refused, and the monitor is told."""
        first = self.paid_order("13800000002")
        codes = self.trace_codes(first, STAFF, CODES)
        self.call("POST", f"/medicine-orders/{first['id']}/dispense", STAFF, {"codes": codes})
        second = self.paid_order("13800000003")
        self.call("POST", f"/medicine-orders/{second['id']}/dispense", STAFF, {"codes": codes}, expect=409)
        return codes

    def alerts(self, state="open"):
        return self.call("GET", f"/supervision/alerts?state={state}", REGULATOR)["items"]

    def raised(self, seconds=20):
        """The first alert of the open queue, once the monitor has raised one."""
        deadline = time.time() + seconds
        while time.time() < deadline:
            found = self.alerts()
            if found:
                return found[0]
            time.sleep(0.5)
        pytest.fail("the fraud monitor raised no alert")


@pytest.fixture(scope="module")
def world(server):
    return World(server.url)


def assert_page(driver, language):
    """The page rendered in `language`, shows no template or catalogue path, fits the phone, is
    accessible, and is kept as served for the validator."""
    assert_rendered(driver, language, LEAK, reading_only=True)
    assert_fits_phone(driver)
    assert_accessible(driver)
    PAGES.served(driver)


def test_a_reused_code_arrives_in_the_live_queue_and_is_worked_to_a_decision(server, world, driver):
    base = server.url
    sign_in(driver, base, REGULATOR)
    use_language(driver, "en")
    driver.get(base + "/supervision/alerts")
    visible(driver, "#alert-queue")
    assert driver.find_elements(By.ID, "no-alerts")
    mark(driver)

    # The code is scanned again while the regulator looks at the queue: the alert shows up by itself.
    world.reused_code()
    alert = world.raised()
    assert alert["rule"] == "traceabilityCodeReused"
    card = visible(driver, f"#alert-queue [data-id='{alert['id']}']", seconds=20)
    assert same_page(driver)
    assert words("en", "alerts", "rule", "traceabilityCodeReused") in card.text
    open_in_both_languages(driver, base, ["/supervision/alerts", f"/supervision/alerts/{alert['id']}",
                                          "/supervision/alerts?state=confirmed&rule=traceabilityCodeReused"], assert_page)

    use_language(driver, "en")
    driver.get(base + f"/supervision/alerts/{alert['id']}")
    shows(driver, "#alert-state", words("en", "alerts", "state", "open"))
    assert driver.find_element(By.ID, "alert-evidence").text
    assert len(driver.find_elements(By.CSS_SELECTOR, "#alert-history li")) == 1

    # Investigating first; then a decision without a note is refused beside the note, and nothing changes.
    driver.find_element(By.ID, "to-investigating").click()
    submit_with(driver, "move-submit")
    shows(driver, "#alert-state", words("en", "alerts", "state", "investigating"))
    driver.find_element(By.ID, "to-confirmed").click()
    submit_with(driver, "move-submit")
    assert harness.field_error(driver, "move-note", "move-note-error", kept=PAGES)
    assert world.call("GET", f"/supervision/alerts/{alert['id']}", REGULATOR)["state"] == "investigating"

    driver.find_element(By.ID, "add-note-text").send_keys("已调取该药店进货记录")
    submit_with(driver, "note-submit")
    visible(driver, "#alert-history")
    assert "已调取该药店进货记录" in driver.find_element(By.ID, "alert-history").text

    driver.find_element(By.ID, "to-confirmed").click()
    driver.find_element(By.ID, "move-note").send_keys("同一追溯码两次调剂，确认为串货")
    submit_with(driver, "move-submit")
    shows(driver, "#alert-state", words("en", "alerts", "state", "confirmed"))
    assert not driver.find_elements(By.ID, "move")
    assert len(driver.find_elements(By.CSS_SELECTOR, "#alert-history li")) == 4

    # It has left the open queue for the confirmed one.
    driver.get(base + "/supervision/alerts")
    visible(driver, "#alert-queue")
    assert not driver.find_elements(By.CSS_SELECTOR, f"#alert-queue [data-id='{alert['id']}']")
    driver.get(base + "/supervision/alerts?state=confirmed")
    visible(driver, f"#alert-queue [data-id='{alert['id']}']")


def test_every_page_is_valid_html():
    """The pages the test above opened, as served, and the refusal it showed pass the Nu HTML checker."""
    PAGES.assert_valid("helper-alerts-html-")
