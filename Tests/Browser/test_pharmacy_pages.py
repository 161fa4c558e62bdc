"""The pharmacy side of the loop in the browser: the pharmacist reviews prescriptions (the queue
updates by itself), the pharmacy's staff dispense with a scanner's codes, hand over, refund, keep
stock and the profile, and give a failed delivery to a courier again; the courier reports each
step. The patient's and doctor's side is made through the JSON API, as `scripts/
prescription-walkthrough` does. Every page is opened in zh-CN and in English."""

import itertools
import re

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

import harness
from harness import (Api, KeptPages, assert_accessible, assert_fits_phone, assert_rendered, click, mark, named,
                     open_in_both_languages, same_page, shows, sign_in, submit, use_language, visible, words)

PHARMACIST, STAFF, COURIER = "13700000001", "13700000011", "13700000021"
CODES = itertools.count(7000001)  # the serial numbers of the traceability codes
PAGES = KeptPages()  # every page opened and every refusal shown, for the validator
LEAK = re.compile(r"\{\{|\b(?:pharmacist|pharmacy|courier|pharmacyErrors|enum|fieldError|nav|frame|error)\.[A-Za-z]")


class World(Api):
    """The JSON API as the demo accounts use it, to bring prescriptions and orders to the pages."""

    def consultation(self, patient, doctor="13900000001"):
        me = self.call("GET", "/me", patient)
        encounter = self.call("POST", f"/patients/{me['patientId']}/encounters", patient,
                              {"hospitalId": named("institution:tertiary"), "date": "2026-06-01", "icd10": "I10"}, expect=201)
        self.call("POST", "/wallet/top-ups", patient, {"amountFen": 50000}, key=True, expect=201)
        order = self.call("POST", "/orders", patient, {"doctorId": named("doctor:1"), "service": "textPackage",
                                                       "encounterId": encounter["id"]}, key=True, expect=201)
        consultation = self.call("POST", f"/orders/{order['id']}/pay", patient, key=True)["consultationId"]
        self.call("POST", f"/consultations/{consultation}/accept", doctor)
        return consultation

    def signed_prescription(self, patient, days=7, interaction=False):
        """Amlodipine for `days` days (a package a week), signed by doctor 1 and waiting for review;
        with `interaction`, simvastatin and clarithromycin too, signed over with the doctor's reason."""
        doctor = "13900000001"
        consultation = self.consultation(patient, doctor)
        items = [{"drugId": self.drug("氨氯地平")["id"], "dose": 5, "doseUnit": "mg", "timesPerDay": 1, "days": days}]
        if interaction:
            for name, dose, times in [("simvastatin", 20, 1), ("clarithromycin", 250, 2)]:
                drug = self.call("GET", "/drugs?q=" + name, doctor)["items"][0]
                items.append({"drugId": drug["id"], "dose": dose, "doseUnit": "mg", "timesPerDay": times, "days": days})
        body = {"diagnosis": "I10", "items": items}
        if days > 7:
            body["longPrescription"] = {"reason": "慢性病长期用药"}
        draft = self.call("POST", f"/consultations/{consultation}/prescriptions", doctor, body, expect=201)
        for finding in draft["findings"]:
            if finding["blocksSigning"]:
                self.call("POST", f"/prescriptions/{draft['id']}/overrides", doctor,
                          {"rule": finding["rule"], "drugIds": finding["drugIds"], "reason": "短期联用，已嘱监测"})
        self.call("POST", f"/prescriptions/{draft['id']}/sign", doctor)
        return draft["id"]

    def paid_order(self, patient, mode, days=7, pharmacy=1, lat=28.9650, lon=118.8720):
        """An approved prescription's medicine order at demo pharmacy `pharmacy`, paid."""
        prescription = self.signed_prescription(patient, days=days)
        self.call("POST", f"/prescriptions/{prescription}/review", PHARMACIST, {"decision": "approve"})
        options = self.call("GET", f"/prescriptions/{prescription}/pharmacy-options?lat={lat}&lon={lon}&mode={mode}",
                            patient)["items"]
        option = next(o for o in options if o["pharmacyId"].lower() == named(f"institution:pharmacy-{pharmacy}"))
        order = self.call("POST", f"/prescriptions/{prescription}/medicine-orders", patient,
                          {"pharmacyId": option["pharmacyId"], "mode": mode, "lat": lat, "lon": lon}, key=True, expect=201)
        return self.call("POST", f"/medicine-orders/{order['id']}/pay", patient, key=True)

    def codes(self, order):
        """A fresh traceability code for every package of the order, in the order of its lines."""
        return self.trace_codes(order, STAFF, CODES)

    def order(self, order_id, phone=STAFF):
        return self.call("GET", f"/medicine-orders/{order_id}", phone)


@pytest.fixture(scope="module")
def world(server):
    return World(server.url)


def assert_page(driver, language):
    """The page rendered in `language`, is no error page, shows no template or catalogue path, fits
    the phone, is accessible, and is kept as served for the validator."""
    assert_rendered(driver, language, LEAK)
    assert_fits_phone(driver)
    assert_accessible(driver)
    PAGES.served(driver)


def field_error(driver, field_id, error_id):
    """`harness.field_error`: the page showing the refusal is also accessible, and kept for the validator."""
    return harness.field_error(driver, field_id, error_id, kept=PAGES)


# MARK: Pharmacist


def test_pharmacist_reviews_from_a_live_queue(server, world, driver):
    base = server.url
    flagged = world.signed_prescription("13800000001", interaction=True)
    plain = world.signed_prescription("13800000005")
    sign_in(driver, base, PHARMACIST)
    assert driver.current_url.endswith("/review-queue")
    open_in_both_languages(driver, base, ["/review-queue", f"/review-queue/{flagged}"], assert_page)

    # A prescription signed while the pharmacist looks at the queue shows up without a reload.
    driver.get(base + "/review-queue")
    assert visible(driver, f"#review-queue [data-id='{flagged}']")
    mark(driver)
    arriving = world.signed_prescription("13800000006")
    visible(driver, f"#review-queue [data-id='{arriving}']", seconds=20)
    assert same_page(driver)

    # The review page shows the items, the findings and the doctor's reason for signing over.
    click(driver, f"#review-queue [data-id='{flagged}'] a")
    visible(driver, "#findings")
    assert len(driver.find_elements(By.CSS_SELECTOR, "#items tbody tr")) == 3
    assert "短期联用，已嘱监测" in driver.find_element(By.ID, "findings").text
    assert driver.find_element(By.ID, "prescription-state").text == words("en", "enum", "signed")

    # Rejecting without a reason is refused beside the reasons, and nothing changes.
    driver.find_element(By.ID, "rejection-text").send_keys("辛伐他汀与克拉霉素禁忌合用")
    driver.find_element(By.ID, "reject").click()
    assert visible(driver, "#reason-error").text
    assert driver.find_element(By.ID, "reason").get_attribute("aria-describedby") == "reason-error"
    assert driver.find_element(By.CSS_SELECTOR, "input[name=reason]").get_attribute("aria-invalid") == "true"
    PAGES.shown(driver)
    assert driver.find_element(By.ID, "rejection-text").get_attribute("value") == "辛伐他汀与克拉霉素禁忌合用"
    assert world.call("GET", f"/prescriptions/{flagged}", PHARMACIST)["state"] == "signed"

    driver.find_element(By.CSS_SELECTOR, "input[name=reason][value=safety]").click()
    driver.find_element(By.ID, "reject").click()
    shows(driver, "#prescription-state", words("en", "enum", "rejected"))
    assert "辛伐他汀与克拉霉素禁忌合用" in driver.find_element(By.ID, "rejection-reason").text
    assert not driver.find_elements(By.ID, "reject-form")

    # Approving takes the prescription out of the queue.
    driver.get(base + f"/review-queue/{plain}")
    driver.find_element(By.ID, "approve").click()
    shows(driver, "#prescription-state", words("en", "enum", "approved"))
    assert world.call("GET", f"/prescriptions/{plain}", PHARMACIST)["state"] == "approved"
    driver.get(base + "/review-queue")
    visible(driver, "#review-queue")
    assert not driver.find_elements(By.CSS_SELECTOR, f"#review-queue [data-id='{plain}']")
    assert not driver.find_elements(By.CSS_SELECTOR, f"#review-queue [data-id='{flagged}']")


# MARK: Pharmacy staff


def test_staff_dispense_with_a_scanner_hand_over_and_refund(server, world, driver):
    base = server.url
    courier_order = world.paid_order("13800000002", "o2o", days=21)
    pickup_order = world.paid_order("13800000003", "pickup")
    refund_order = world.paid_order("13800000004", "pickup")
    parcel_order = world.paid_order("13800000010", "b2c")
    sign_in(driver, base, STAFF)
    assert driver.current_url.endswith("/pharmacy/orders")
    open_in_both_languages(driver, base, ["/pharmacy/orders", f"/pharmacy/orders/{courier_order['id']}",
                                          "/pharmacy/orders?state=paid", "/pharmacy/stock", "/pharmacy/profile"], assert_page)

    # A newly paid order shows up in the list without a reload.
    driver.get(base + "/pharmacy/orders")
    visible(driver, f"#pharmacy-orders [data-id='{courier_order['id']}']")
    mark(driver)
    arriving = world.paid_order("13800000007", "pickup")
    visible(driver, f"#pharmacy-orders [data-id='{arriving['id']}']", seconds=20)
    assert same_page(driver)

    # Dispensing: one input per package; a code of another product is refused beside its package.
    click(driver, f"#pharmacy-orders [data-id='{courier_order['id']}'] a")
    codes = world.codes(courier_order)
    assert len(codes) == 3
    assert len(driver.find_elements(By.CSS_SELECTOR, "#dispense-form input[name=codes]")) == 3
    assert driver.switch_to.active_element.get_attribute("id") == "code-0"
    wrong = "9999999" + codes[1][7:]
    for code in [codes[0], wrong, codes[2]]:
        driver.switch_to.active_element.send_keys(code + Keys.ENTER)
    # The scanner's Enter moved from package to package and then to the button, submitting nothing.
    assert driver.switch_to.active_element.get_attribute("id") == "dispense"
    assert world.order(courier_order["id"])["state"] == "paid"
    driver.find_element(By.ID, "dispense").click()
    assert field_error(driver, "code-1", "code-1-error")
    assert driver.switch_to.active_element.get_attribute("id") == "code-1"
    assert driver.find_element(By.ID, "code-0").get_attribute("value") == codes[0]
    assert world.order(courier_order["id"])["state"] == "paid"

    field = driver.find_element(By.ID, "code-1")
    field.clear()
    field.send_keys(codes[1] + Keys.ENTER)
    assert driver.switch_to.active_element.get_attribute("id") == "dispense"
    driver.switch_to.active_element.send_keys(Keys.ENTER)
    shows(driver, "#order-state", words("en", "enum", "dispensed"))
    assert driver.find_element(By.ID, "delivery-status").text.startswith(words("en", "enum", "assigned"))
    assert world.order(courier_order["id"])["deliveryStatus"] == "assigned"

    # A pickup order: dispensed, then handed over at the counter with the patient's code.
    driver.get(base + f"/pharmacy/orders/{pickup_order['id']}")
    for code in world.codes(pickup_order):
        driver.switch_to.active_element.send_keys(code + Keys.ENTER)
    driver.find_element(By.ID, "dispense").click()
    visible(driver, "#pickupCode")
    right = pickup_order["pickupCode"]
    driver.find_element(By.ID, "pickupCode").send_keys("000000" if right != "000000" else "111111")
    driver.find_element(By.ID, "handover").click()
    field_error(driver, "pickupCode", "pickup-error")
    assert world.order(pickup_order["id"])["state"] == "dispensed"
    field = driver.find_element(By.ID, "pickupCode")
    field.clear()
    field.send_keys(right)
    driver.find_element(By.ID, "handover").click()
    shows(driver, "#order-state", words("en", "enum", "delivered"))

    # A parcel names its carrier and tracking number; the carrier's delivery is confirmed here.
    driver.get(base + f"/pharmacy/orders/{parcel_order['id']}")
    for code in world.codes(parcel_order):
        driver.switch_to.active_element.send_keys(code + Keys.ENTER)
    driver.find_element(By.ID, "dispense").click()
    field_error(driver, "carrier", "shipment-error")
    assert world.order(parcel_order["id"])["state"] == "paid"
    driver.find_element(By.ID, "carrier").send_keys("顺丰速运")
    driver.find_element(By.ID, "trackingNumber").send_keys("SF1234567890")
    driver.find_element(By.ID, "dispense").click()
    shows(driver, "#order-state", words("en", "enum", "dispensed"))
    assert "SF1234567890" in driver.find_element(By.TAG_NAME, "main").text
    driver.find_element(By.ID, "handover").click()
    shows(driver, "#order-state", words("en", "enum", "delivered"))

    # A refund needs the pharmacy's reason.
    driver.get(base + f"/pharmacy/orders/{refund_order['id']}")
    driver.find_element(By.ID, "cancel").click()
    field_error(driver, "cancel-reason", "cancel-reason-error")
    assert world.order(refund_order["id"])["state"] == "paid"
    driver.find_element(By.ID, "cancel-reason").send_keys("该药品暂时缺货")
    driver.find_element(By.ID, "cancel").click()
    shows(driver, "#order-state", words("en", "enum", "refunded"))
    assert world.order(refund_order["id"])["state"] == "refunded"

    # The filter shows the orders of one state.
    driver.get(base + "/pharmacy/orders")
    Select(driver.find_element(By.ID, "state")).select_by_value("refunded")
    driver.find_element(By.CSS_SELECTOR, "#state-filter button[type=submit]").click()
    visible(driver, f"#pharmacy-orders [data-id='{refund_order['id']}']")
    assert not driver.find_elements(By.CSS_SELECTOR, f"#pharmacy-orders [data-id='{courier_order['id']}']")


def test_staff_keep_stock_import_a_list_and_set_the_profile(server, world, driver):
    base = server.url
    sign_in(driver, base, "13700000012")
    driver.get(base + "/pharmacy/stock")
    use_language(driver, "en")
    first = world.call("GET", "/pharmacies/me/stock?limit=1", "13700000012")["items"][0]
    drug = first["drugId"]

    # One line: a price that is not an amount is refused beside it, and nothing changes.
    price = driver.find_element(By.ID, f"price-{drug}")
    price.clear()
    price.send_keys("abc")
    driver.find_element(By.CSS_SELECTOR, f"#stock-{drug} button[type=submit]").click()
    field_error(driver, f"price-{drug}", f"price-{drug}-error")
    assert driver.find_element(By.ID, f"price-{drug}").get_attribute("value") == "abc"
    assert world.call("GET", "/pharmacies/me/stock?limit=1", "13700000012")["items"][0]["priceFen"] == first["priceFen"]

    on_hand = driver.find_element(By.ID, f"onHand-{drug}")
    on_hand.clear()
    on_hand.send_keys(str(first["onHand"] + 5))
    price = driver.find_element(By.ID, f"price-{drug}")
    price.clear()
    price.send_keys("12.50")
    submit(driver, f"#stock-{drug} button[type=submit]")
    shows(driver, f"#price-{drug}", "12.50", attribute="value")
    assert not driver.find_elements(By.ID, f"price-{drug}-error")
    assert driver.find_element(By.ID, f"onHand-{drug}").get_attribute("value") == str(first["onHand"] + 5)
    level = world.call("GET", "/pharmacies/me/stock?limit=1", "13700000012")["items"][0]
    assert (level["onHand"], level["priceFen"]) == (first["onHand"] + 5, 1250)

    # A list without its header is refused beside the text, and nothing is imported.
    driver.find_element(By.ID, "csv").send_keys(f"{first['productCode']},3,100")
    driver.find_element(By.ID, "import").click()
    field_error(driver, "csv", "csv-error")
    assert world.call("GET", "/pharmacies/me/stock?limit=1", "13700000012")["items"][0]["onHand"] == first["onHand"] + 5

    # A list with a good row, an unknown product and a bad count: the report names the refused lines.
    csv = driver.find_element(By.ID, "csv")
    csv.clear()
    csv.send_keys(f"productCode,onHand,priceFen\n{first['productCode']},40,1300\n9999999,5,100\n{first['productCode']},many,100")
    driver.find_element(By.ID, "import").click()
    visible(driver, "#import-report")
    assert driver.find_element(By.ID, "applied").text == "1"
    assert driver.find_element(By.ID, "refused-count").text == "2"
    rows = [row.text for row in driver.find_elements(By.CSS_SELECTOR, "#refused tbody tr")]
    assert rows[0].startswith("3 9999999") and words("en", "pharmacy", "import", "reasons", "unknown_product") in rows[0]
    assert rows[1].startswith("4") and words("en", "pharmacy", "import", "reasons", "on_hand") in rows[1]
    level = world.call("GET", "/pharmacies/me/stock?limit=1", "13700000012")["items"][0]
    assert (level["onHand"], level["priceFen"]) == (40, 1300)

    # The profile: without any way of handing medicine over it is refused beside the choices.
    driver.find_element(By.ID, "profile-link").click()
    before = world.call("GET", "/pharmacies/me/profile", "13700000012")
    for box in driver.find_elements(By.CSS_SELECTOR, "input[name=modes]:checked"):
        box.click()
    driver.find_element(By.ID, "save-profile").click()
    assert visible(driver, "#modes-error").text
    assert driver.find_element(By.ID, "modes").get_attribute("aria-describedby") == "modes-error"
    PAGES.shown(driver)
    assert world.call("GET", "/pharmacies/me/profile", "13700000012") == before

    driver.find_element(By.CSS_SELECTOR, "input[name=modes][value=o2o]").click()
    driver.find_element(By.CSS_SELECTOR, "input[name=modes][value=pickup]").click()
    closes = driver.find_element(By.ID, "closesAt")
    driver.execute_script("arguments[0].value = '22:30';", closes)
    driver.find_element(By.ID, "save-profile").click()
    visible(driver, "#profile-saved")
    assert driver.find_element(By.ID, "closesAt").get_attribute("value") == "22:30"
    after = world.call("GET", "/pharmacies/me/profile", "13700000012")
    assert after["closesAt"] == 22 * 60 + 30 and sorted(after["modes"]) == ["o2o", "pickup"]


# MARK: Courier


def test_courier_reports_each_step_and_the_pharmacy_reassigns_a_failed_delivery(server, world, driver, second):
    base = server.url
    order = world.paid_order("13800000008", "o2o")
    world.call("POST", f"/medicine-orders/{order['id']}/dispense", STAFF, {"codes": world.codes(order)})
    sign_in(driver, base, COURIER)
    assert driver.current_url.endswith("/deliveries")
    open_in_both_languages(driver, base, ["/deliveries", f"/deliveries/{order['id']}"], assert_page)

    # An order dispensed while the courier looks at the list shows up without a reload.
    driver.get(base + "/deliveries")
    card = f"#deliveries [data-id='{order['id']}']"
    visible(driver, card)
    mark(driver)
    arriving = world.paid_order("13800000009", "o2o")
    world.call("POST", f"/medicine-orders/{arriving['id']}/dispense", STAFF, {"codes": world.codes(arriving)})
    visible(driver, f"#deliveries [data-id='{arriving['id']}']", seconds=20)
    assert same_page(driver)

    # The next step from the list: picked up.
    click(driver, f"{card} button.next-step")
    shows(driver, f"{card} .delivery-status", words("en", "enum", "pickedUp"))

    # A failure without its reason is refused beside the reason, and nothing changes.
    driver.get(base + f"/deliveries/{order['id']}")
    driver.find_element(By.ID, "fail").click()
    field_error(driver, "note", "note-error")
    assert world.order(order["id"], COURIER)["deliveryStatus"] == "pickedUp"
    driver.find_element(By.ID, "note").send_keys("患者电话无人接听")
    driver.find_element(By.ID, "fail").click()
    shows(driver, "#delivery-status", words("en", "enum", "failed"))
    assert not driver.find_elements(By.ID, "next-step")

    # The pharmacy sees the failure and its reason, and gives the order to a courier again.
    sign_in(second, base, STAFF)
    second.get(base + f"/pharmacy/orders/{order['id']}")
    use_language(second, "en")
    assert "患者电话无人接听" in second.find_element(By.ID, "delivery-status").text
    second.find_element(By.ID, "assign-courier").click()
    shows(second, "#delivery-status", words("en", "enum", "assigned"))
    assert not second.find_elements(By.ID, "assign-courier")

    # The courier starts again and delivers.
    driver.get(base + f"/deliveries/{order['id']}")
    for step in ("pickedUp", "inTransit", "delivered"):
        button = visible(driver, "#next-step")
        assert button.get_attribute("data-status") == step
        button.click()
        shows(driver, "#delivery-status", words("en", "enum", step))
    assert driver.find_element(By.ID, "order-state").text == words("en", "enum", "delivered")
    assert world.order(order["id"], COURIER)["state"] == "delivered"
    driver.get(base + "/deliveries")
    visible(driver, "#deliveries")
    assert not driver.find_elements(By.CSS_SELECTOR, card)


def test_every_page_is_valid_html():
    """The pages the tests above opened, as served, and the refusals they showed pass the Nu HTML
    checker."""
    PAGES.assert_valid("helper-pharmacy-html-")
