"""Prescribing and the patient's medicines in the browser: the doctor writes a prescription in a
consultation (the clinical-check findings follow the rows as they are added and typed, without a
reload; without scripts the same editor works as plain forms), overrides a finding with a reason
and signs; the patient sees the prescription and whether its signatures verify, finds pharmacies
by way and place, reserves, reads the insurance quote line by line, pays from the wallet (topping
it up when short), follows the delivery without reloading, confirms receipt and sees the
settlement. The consultations, the pharmacist's approval and the pharmacy's and courier's steps
are made through the JSON API, as `scripts/prescription-walkthrough` does. Every page is opened in
zh-CN and in English, checked with axe-core, and its HTML with the Nu validator."""

import itertools
import re

import pytest
from selenium.webdriver.common.by import By

from harness import (Api, KeptPages, assert_accessible, assert_rendered, click, field_error, fill_row, mark, named,
                     open_in_both_languages, read, refusal, same_page, shows, sign_in, type_into, until, use_language,
                     visible, words)

DOCTOR, PHARMACIST = "13900000001", "13700000001"
CODES = itertools.count(8000001)  # the serial numbers of the traceability codes
PLACE = (28.9650, 118.8720)  # Quzhou, near the demo pharmacies
PAGES = KeptPages()  # every page opened, for the validator
LEAK = re.compile(r"\{\{|\{n\}|\b(?:prescribing|enum|fieldError|nav|frame|error|quote|wallet|order|consultation)\.[A-Za-z]")


class World(Api):
    """The JSON API as the demo accounts use it, to bring consultations, approvals and deliveries
    to the pages."""

    def consultation(self, patient, doctor=DOCTOR, doctor_id=None, encounter=None):
        """An accepted follow-up of `patient` with `doctor`, on a prior visit for hypertension
        unless `encounter` names one; the wallet holds just the fee, so it is empty afterwards."""
        if encounter is None:
            me = self.call("GET", "/me", patient)
            encounter = self.call("POST", f"/patients/{me['patientId']}/encounters", patient,
                                  {"hospitalId": named("institution:tertiary"), "date": "2026-06-01", "icd10": "I10"},
                                  expect=201)["id"]
        order = self.call("POST", "/orders", patient, {"doctorId": doctor_id or named("doctor:1"), "service": "textPackage",
                                                       "encounterId": encounter}, key=True, expect=201)
        if order["priceFen"] > 0:
            self.call("POST", "/wallet/top-ups", patient, {"amountFen": order["priceFen"]}, key=True, expect=201)
        consultation = self.call("POST", f"/orders/{order['id']}/pay", patient, key=True)["consultationId"]
        self.call("POST", f"/consultations/{consultation}/accept", doctor)
        return consultation

    def prescriptions(self, consultation, phone=DOCTOR):
        return self.call("GET", f"/consultations/{consultation}/prescriptions", phone)["items"]

    def prescription(self, prescription, phone=DOCTOR):
        return self.call("GET", f"/prescriptions/{prescription}", phone)

    def approved(self, consultation, items, diagnosis, doctor=DOCTOR):
        draft = self.call("POST", f"/consultations/{consultation}/prescriptions", doctor,
                          {"diagnosis": diagnosis, "items": items}, expect=201)
        self.call("POST", f"/prescriptions/{draft['id']}/sign", doctor)
        self.call("POST", f"/prescriptions/{draft['id']}/review", PHARMACIST, {"decision": "approve"})
        return draft["id"]

    def amlodipine(self):
        return self.drug("氨氯地平")

    def order(self, order_id, phone):
        return self.call("GET", f"/medicine-orders/{order_id}", phone)

    def dispense_and_deliver(self, order_id, patient):
        """The pharmacy dispenses (a fresh traceability code per package) and its courier
        delivers, step by step."""
        order = self.order(order_id, patient)
        pharmacy = [named(f"institution:pharmacy-{n}") for n in (1, 2, 3)].index(order["pharmacyId"].lower()) + 1
        staff, courier = f"1370000001{pharmacy}", f"1370000002{pharmacy}"
        self.call("POST", f"/medicine-orders/{order_id}/dispense", staff, {"codes": self.trace_codes(order, staff, CODES)})
        for status in ["pickedUp", "inTransit", "delivered"]:
            self.call("POST", f"/medicine-orders/{order_id}/delivery", courier, {"status": status})


@pytest.fixture(scope="module")
def world(server):
    return World(server.url)


def assert_page(driver, language):
    """The page rendered in `language`, is no error page, shows no template or catalogue path, and
    axe-core finds no serious or critical accessibility violation in it; it is kept as served for
    the validator."""
    assert_rendered(driver, language, LEAK)
    assert_accessible(driver, f"{driver.current_url} in {language}")
    PAGES.served(driver)


def search_and_add(driver, query, row):
    """Searches the catalogue in the editor and adds the first result as item `row`."""
    def results(d):
        return [button.get_attribute("value") for button in d.find_elements(By.CSS_SELECTOR, "#results .add")]
    before = results(driver)
    type_into(driver, "q", query)
    click(driver, "#search")
    found = until(driver, lambda d: (lambda now: now if now and now != before else None)(results(d)))
    click(driver, f"#results .add[value='{found[0]}']")
    until(driver, lambda d: d.find_element(By.CSS_SELECTOR, f"#item-{row} input[name=drugId]").get_attribute("value") == found[0])
    visible(driver, f"#item-{row}-dose")


# MARK: Doctor


def test_doctor_prescribes_with_live_findings_overrides_and_signs(server, world, driver):
    base = server.url
    consultation = world.consultation("13800000001")
    sign_in(driver, base, DOCTOR)
    open_in_both_languages(driver, base, [f"/consultations/{consultation}/prescribe",
                                          f"/consultations/{consultation}/prescriptions"], assert_page)

    driver.get(base + f"/consultations/{consultation}/prescribe")
    use_language(driver, "zh-CN")
    assert driver.find_element(By.ID, "diagnosis").get_attribute("value") == "I10", "the prior visit's diagnosis"
    assert visible(driver, "#findings-empty")
    mark(driver)

    # A search over 50 characters is refused beside the search field.
    type_into(driver, "q", "x" * 51)
    click(driver, "#search")
    field_error(driver, "q", "q-error")
    assert not driver.find_elements(By.CSS_SELECTOR, "#results .add")

    # Searching and adding happen in place; the findings follow the rows without a reload.
    search_and_add(driver, "simvastatin", 0)
    fill_row(driver, 0, "20", "1", "7")
    search_and_add(driver, "clarithromycin", 1)
    until(driver, lambda d: d.find_elements(
        By.CSS_SELECTOR, "#findings .finding[data-rule=interaction][data-severity=contraindicated]"))
    assert same_page(driver)
    assert len(driver.find_elements(By.CSS_SELECTOR, "#items .item")) == 2

    # Typing a dose asks for the checks again; a dose the API refuses shows up among them.
    before = driver.find_element(By.ID, "findings").get_attribute("data-checks")
    fill_row(driver, 1, "0", "2", "7")
    until(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#findings .check-problem"))
    assert driver.find_element(By.ID, "findings").get_attribute("data-checks") != before
    assert same_page(driver)

    # Saving with the bad dose is refused beside that dose, and nothing is saved.
    click(driver, "#save")
    field_error(driver, "item-1-dose", "item-1-dose-error")
    assert visible(driver, "#editor-error").text
    assert world.prescriptions(consultation) == []
    assert driver.find_element(By.ID, "item-0-dose").get_attribute("value") == "20", "the rows came back as typed"

    type_into(driver, "item-1-dose", "250")
    click(driver, "#save")
    shows(driver, "#prescription-state", "draft", attribute="data-state")
    prescription = driver.current_url.rstrip("/").split("/")[-1]
    assert len(driver.find_elements(By.CSS_SELECTOR, "#prescription-items tbody tr")) == 2
    open_in_both_languages(driver, base, [f"/prescriptions/{prescription}"], assert_page)

    # Signing over a contraindicated interaction needs a written reason.
    driver.get(base + f"/prescriptions/{prescription}")
    click(driver, "#sign")
    assert visible(driver, "#prescription-error").text
    assert world.prescription(prescription)["state"] == "draft"
    click(driver, "#override-0 button[type=submit]")
    field_error(driver, "override-0-reason", "override-0-error")
    assert all("overrideReason" not in f for f in world.prescription(prescription)["findings"])

    type_into(driver, "override-0-reason", "短期联用，已嘱监测肌痛")
    click(driver, "#override-0 button[type=submit]")
    until(driver, lambda d: "短期联用，已嘱监测肌痛" in d.find_element(By.ID, "findings").text)
    click(driver, "#sign")
    shows(driver, "#prescription-state", "signed", attribute="data-state")
    assert visible(driver, "#verification-verdict").get_attribute("data-valid") == "true"
    assert world.prescription(prescription)["state"] == "signed"

    # The consultation's prescriptions with their states; a second draft is voided.
    second = world.call("POST", f"/consultations/{consultation}/prescriptions", DOCTOR,
                        {"diagnosis": "I10", "items": [{"drugId": world.amlodipine()["id"], "dose": 5, "doseUnit": "mg",
                                                        "timesPerDay": 1, "days": 7}]}, expect=201)["id"]
    driver.get(base + f"/prescriptions/{second}")
    click(driver, "#void")
    shows(driver, "#prescription-state", "voided", attribute="data-state")
    driver.get(base + f"/consultations/{consultation}/prescriptions")
    states = {e.get_attribute("data-state") for e in driver.find_elements(By.CSS_SELECTOR, "#prescriptions .prescription")}
    assert states == {"signed", "voided"}


def test_the_editor_works_without_scripts(server, world, driver):
    base = server.url
    consultation = world.consultation("13800000006")
    sign_in(driver, base, DOCTOR)
    driver.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
    driver.get(base + f"/consultations/{consultation}/prescribe")
    use_language(driver, "en")
    mark(driver)

    search_and_add(driver, "simvastatin", 0)
    search_and_add(driver, "clarithromycin", 1)
    # Each button posted the whole form: a new page came back with both rows and their findings.
    assert not same_page(driver)
    assert visible(driver, "#findings .finding[data-rule=interaction]")
    fill_row(driver, 0, "20", "1", "7")
    fill_row(driver, 1, "250", "2", "7")
    mark(driver)
    click(driver, "#check")
    until(driver, lambda d: not same_page(d))
    assert visible(driver, "#item-1-dose").get_attribute("value") == "250"
    click(driver, "#item-0 button.remove")
    until(driver, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#items .item")) == 1)
    assert not driver.find_elements(By.CSS_SELECTOR, "#findings .finding[data-rule=interaction]")
    click(driver, "#save")
    shows(driver, "#prescription-state", "draft", attribute="data-state")
    assert [p["state"] for p in world.prescriptions(consultation)] == ["draft"]


# MARK: Patient


def test_patient_fills_a_prescription_with_insurance_and_follows_the_delivery(server, world, driver):
    base = server.url
    patient = "13800000005"
    world.link_coverage(patient, "33080000000005")
    consultation = world.consultation(patient, doctor="13900000003", doctor_id=named("doctor:3"),
                                      encounter=named("encounter:" + patient))
    salbutamol, budesonide_formoterol = named("drug:8100171"), named("drug:8100181")
    prescription = world.approved(consultation, [
        {"drugId": salbutamol, "dose": 2, "doseUnit": "puff", "timesPerDay": 2, "days": 7},
        {"drugId": budesonide_formoterol, "dose": 1, "doseUnit": "puff", "timesPerDay": 2, "days": 7},
    ], "J45.9", doctor="13900000003")

    sign_in(driver, base, patient)
    lat, lon = PLACE
    open_in_both_languages(driver, base, [
        "/prescriptions", f"/prescriptions/{prescription}", f"/consultations/{consultation}/prescriptions",
        f"/prescriptions/{prescription}/pharmacies", f"/prescriptions/{prescription}/pharmacies?mode=b2c&lat={lat}&lon={lon}"],
        assert_page)

    # The record lists the prescription; its page shows the items and that the signatures verify.
    driver.get(base + "/prescriptions")
    use_language(driver, "zh-CN")
    click(driver, f"#prescriptions a[href='/prescriptions/{prescription}']")
    assert len(driver.find_elements(By.CSS_SELECTOR, "#prescription-items tbody tr")) == 2
    assert visible(driver, "#verification-verdict").get_attribute("data-valid") == "true"
    assert [li.get_attribute("data-role") for li in driver.find_elements(By.CSS_SELECTOR, "#signatures li")] == ["doctor", "pharmacist"]

    # A place that is not a number is refused beside its fields, and nothing is listed.
    click(driver, "#choose-pharmacy")
    type_into(driver, "lat", "abc")
    click(driver, "#find")
    field_error(driver, "lat", "lat-error")
    field_error(driver, "lon", "lon-error")
    assert not driver.find_elements(By.CSS_SELECTOR, "#options .option")

    # "Use where I am now" fills the place from the phone's location.
    driver.execute_cdp_cmd("Browser.grantPermissions", {"origin": base, "permissions": ["geolocation"]})
    driver.execute_cdp_cmd("Emulation.setGeolocationOverride", {"latitude": lat, "longitude": lon, "accuracy": 20})
    click(driver, "#locate")
    until(driver, lambda d: d.find_element(By.ID, "lat").get_attribute("value") == f"{lat:.4f}")
    assert driver.find_element(By.ID, "lon").get_attribute("value") == f"{lon:.4f}"
    driver.find_element(By.CSS_SELECTOR, "input[name=mode][value=o2o]").click()
    click(driver, "#find")
    option = visible(driver, "#options .option")
    assert "¥" in option.text and words("zh-CN", "prescribing", "pharmacies", "km") in option.text

    # Reserving leads to the order with the insurance quote, line by line with its sentences.
    click(driver, "#options .option button.reserve")
    shows(driver, "#medicine-order-state", "reserved", attribute="data-state")
    order = driver.current_url.rstrip("/").split("/")[-1]
    assert len(driver.find_elements(By.CSS_SELECTOR, "#quote-title ~ .quote-lines li")) == 2
    assert len(driver.find_elements(By.CSS_SELECTOR, ".sentences li")) >= 5
    quote = world.call("GET", f"/medicine-orders/{order}/insurance-quote", patient)
    assert driver.find_element(By.CSS_SELECTOR, ".figures .fund").text == f"¥{quote['fundFen'] / 100:.2f}"
    open_in_both_languages(driver, base, [f"/medicine-orders/{order}"], assert_page)

    # Paying settles with the fund; the settlement replaces the quote.
    driver.get(base + f"/medicine-orders/{order}")
    click(driver, "#pay")
    shows(driver, "#medicine-order-state", "paid", attribute="data-state")
    settlement = visible(driver, ".settlement")
    assert settlement.find_element(By.CSS_SELECTOR, ".fund").text == f"¥{quote['fundFen'] / 100:.2f}"
    assert settlement.find_elements(By.CSS_SELECTOR, ".sentences li")

    # The pharmacy dispenses and the courier delivers: the page follows without a reload.
    mark(driver)
    world.dispense_and_deliver(order, patient)
    shows(driver, "#delivery-status", "delivered", attribute="data-status", seconds=20)
    assert len(driver.find_elements(By.CSS_SELECTOR, "#delivery-updates li")) >= 3
    assert same_page(driver)
    click(driver, "#confirm-receipt")
    shows(driver, "#medicine-order-state", "received", attribute="data-state")
    assert world.order(order, patient)["state"] == "received"

    # The prescription lists its order; a refill books a follow-up with the same doctor.
    driver.get(base + f"/prescriptions/{prescription}")
    assert visible(driver, f"#medicine-orders a[href='/medicine-orders/{order}']")
    click(driver, "#refill")
    until(driver, lambda d: re.search(r"/orders/[0-9A-Fa-f-]{36}$", d.current_url))
    assert visible(driver, "#order-state")


def test_patient_short_of_money_tops_up_then_pays_and_cancels(server, world, driver):
    base = server.url
    patient = "13800000002"
    consultation = world.consultation(patient)
    drug = world.amlodipine()
    prescription = world.approved(consultation, [{"drugId": drug["id"], "dose": 5, "doseUnit": "mg",
                                                  "timesPerDay": 1, "days": 7}], "I10")
    sign_in(driver, base, patient)
    lat, lon = PLACE
    driver.get(base + f"/prescriptions/{prescription}/pharmacies?mode=pickup&lat={lat}&lon={lon}")
    use_language(driver, "en")
    click(driver, "#options .option button.reserve")
    shows(driver, "#medicine-order-state", "reserved", attribute="data-state")
    order = driver.current_url.rstrip("/").split("/")[-1]
    assert visible(driver, "#no-quote").text, "no coverage linked: the patient pays in full"

    # A cancellation reason over 200 characters is refused beside it; the order stays reserved.
    driver.execute_script("document.getElementById('cancel-reason').removeAttribute('maxlength');"
                          "document.getElementById('cancel-reason').value = 'x'.repeat(201);")
    click(driver, "#cancel")
    field_error(driver, "cancel-reason", "cancel-reason-error")
    assert world.order(order, patient)["state"] == "reserved"

    # The wallet is empty: paying is refused; topping up returns to the order, which then pays.
    click(driver, "#pay")
    shows(driver, "#order-error", refusal("en", "insufficient_balance"))
    assert world.order(order, patient)["state"] == "reserved"
    click(driver, "#top-up-link")
    type_into(driver, "amount", "100")
    click(driver, "#top-up")
    until(driver, lambda d: d.current_url.endswith(f"/medicine-orders/{order}"))
    click(driver, "#pay")
    shows(driver, "#medicine-order-state", "paid", attribute="data-state")
    assert re.fullmatch(r"\d{6}", read(driver, "#pickup-code"))

    # A paid order not yet dispensed is cancelled and refunded.
    type_into(driver, "cancel-reason", "Bought it elsewhere")
    click(driver, "#cancel")
    shows(driver, "#medicine-order-state", "refunded", attribute="data-state")
    assert world.order(order, patient)["state"] == "refunded"


def test_every_page_is_valid_html():
    """The pages the tests above opened, as served, pass the Nu HTML checker."""
    PAGES.assert_valid("helper-prescribing-html-")
