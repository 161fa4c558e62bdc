"""The regulator's live dashboard in the browser: the figures are readable without JavaScript, and
when a patient books and pays a consultation (through the JSON API, as the patient's app would)
the count of consultations waiting goes up on the open page by itself, without a reload; the
doctor accepts it and it moves to the consultations in progress. The page is opened in zh-CN and
in English."""

import re

import pytest
from selenium.webdriver.common.by import By

from harness import (Api, KeptPages, assert_accessible, assert_fits_phone, assert_rendered, fetch_as_browser, mark, named,
                     open_in_both_languages, same_page, shows, sign_in, use_language, visible)

REGULATOR, PATIENT, DOCTOR = "13500000001", "13800000002", "13900000001"
PAGES = KeptPages()
LEAK = re.compile(r"\{\{|\b(?:monitor|enum|fieldError|nav|frame|error|role)\.[A-Za-z]")


class World(Api):
    """The JSON API as the demo accounts use it, to bring a consultation to the doctor's queue."""

    def paid_consultation(self, patient):
        """A text consultation of doctor 1 for `patient`, booked and paid: it waits in the queue."""
        me = self.call("GET", "/me", patient)
        encounter = self.call("POST", f"/patients/{me['patientId']}/encounters", patient,
                              {"hospitalId": named("institution:tertiary"), "date": "2026-06-01", "icd10": "I10"}, expect=201)
        self.call("POST", "/wallet/top-ups", patient, {"amountFen": 50000}, key=True, expect=201)
        order = self.call("POST", "/orders", patient, {"doctorId": named("doctor:1"), "service": "textPackage",
                                                       "encounterId": encounter["id"]}, key=True, expect=201)
        return self.call("POST", f"/orders/{order['id']}/pay", patient, key=True)["consultationId"]


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


def figure(name):
    return f"#monitor-figures tr[data-figure='{name}'] td"


def test_the_dashboard_counts_a_consultation_booked_elsewhere_without_a_reload(server, world, driver):
    base = server.url
    sign_in(driver, base, REGULATOR)
    open_in_both_languages(driver, base, ["/supervision", "/supervision?region=330802"], assert_page)

    use_language(driver, "en")
    driver.get(base + "/supervision")
    shows(driver, figure("consultationsWaiting"), "0")
    shows(driver, figure("consultationsOpen"), "0")
    assert driver.find_elements(By.ID, "no-settlements")
    mark(driver)

    # The patient pays while the regulator looks at the dashboard: the count goes up by itself.
    consultation = world.paid_consultation(PATIENT)
    shows(driver, figure("consultationsWaiting"), "1", seconds=10)
    assert same_page(driver)

    # The doctor accepts: it moves from waiting to in progress, still without a reload.
    world.call("POST", f"/consultations/{consultation}/accept", DOCTOR)
    shows(driver, figure("consultationsOpen"), "1", seconds=10)
    shows(driver, figure("consultationsWaiting"), "0")
    assert same_page(driver)


def test_the_dashboard_reads_without_javascript_and_refuses_another_region(server, world, driver):
    base = server.url
    sign_in(driver, base, REGULATOR)
    served = fetch_as_browser(driver, base + "/supervision")
    assert served.status_code == 200
    assert 'id="dashboard"' in served.text and 'data-figure="consultationsWaiting"' in served.text
    refused = fetch_as_browser(driver, base + "/supervision?region=440100")
    assert refused.status_code == 403


def test_every_page_is_valid_html():
    """The pages the tests above opened, as served, pass the Nu HTML checker."""
    PAGES.assert_valid("helper-dashboard-html-")
