"""The whole closed loop in the browser, each person in a browser of their own (the patient on a
phone, the staff at a desk), through the web pages only:

1. the Quzhou insurer issues an e-voucher on `/insurance/persons`; the patient pastes it on
   `/me/insurance` and sees the coverage linked;
2. the patient finds the respiratory doctor by name, books a follow-up text consultation on the
   prior asthma visit, reads the insurance quote, tops up the wallet and pays;
3. the doctor's queue shows the patient without a reload; the doctor accepts; a message each way,
   each seen by the other without a reload;
4. the doctor prescribes two inhalers in the editor, reads the findings (giving a reason for any
   that needs one), signs, and completes the consultation with an ICD-10 diagnosis;
5. the internet hospital's pharmacist sees the prescription arrive in `/review-queue` without a
   reload and approves it;
6. the patient opens the prescription (both signatures verify), lists O2O pharmacies near 荷花店,
   reserves there, reads the medicine order's insurance quote line by line and pays (the pooled
   fund pays part);
7. that pharmacy's staff see the paid order arrive without a reload, scan one traceability code
   per package (each ends with Enter, as a scanner types) and dispense; the order goes to the
   pharmacy's courier;
8. the courier sees it arrive without a reload and reports picked up, on the way, delivered; the
   patient's order page follows each step without a reload; the patient confirms receipt and
   sees the settlement;
9. the patient rates the doctor and sends flowers; the doctor's public profile shows the comment.

The demo world: patient 13800000005 (asthma, J45.9; insured in Quzhou, 330800, number
33080000000005; a prior visit at 衢州市人民医院), doctor 13900000003 (respiratory, practising at the
internet hospital), pharmacist 13700000001 (衢州市人民医院互联网医院), pharmacy 1 (荷花店) with its
staff 13700000011 and courier 13700000021 — as in `scripts/insurance-walkthrough`, Quzhou."""

import itertools
import re

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

import harness
from harness import DESKTOP_WIDTH, browser, language_of, mark, same_page, sign_in, texts, use_language, visible

PATIENT, DOCTOR, INSURER = "13800000005", "13900000003", "13600000001"
PHARMACIST, STAFF, COURIER = "13700000001", "13700000011", "13700000021"
INSURED_NUMBER, REGION = "33080000000005", "330800"
PHARMACY = "荷花店"  # 衢州百姓大药房（荷花店）: demo pharmacy 1, of STAFF and COURIER
PLACE = ("28.9650", "118.8720")  # Quzhou, near the demo pharmacies
CODES = itertools.count(1)


@pytest.fixture
def people():
    """A browser for each person: the patient on a phone, the staff at a desk."""
    drivers = {}
    try:
        drivers["patient"] = browser()
        for role in ("insurer", "doctor", "pharmacist", "staff", "courier"):
            drivers[role] = browser(DESKTOP_WIDTH)
        yield drivers
    finally:
        for driver in drivers.values():
            driver.quit()


# MARK: Helpers

# Each wait here is bounded at 20 s, not the harness's 15 s: six browsers share the machine, and a
# live region refreshes every 3 s.
LIVE = 20


def until(driver, condition, message=""):
    return harness.until(driver, condition, LIVE, message)


def shown(driver, selector):
    return visible(driver, selector, LIVE)


def click(driver, selector):
    harness.click(driver, selector, LIVE)


def type_into(driver, field_id, text):
    harness.type_into(driver, field_id, text, LIVE)


def fill_row(doctor, row, dose, times, days):
    harness.fill_row(doctor, row, dose, times, days, LIVE)


def submit(driver, selector):
    harness.submit(driver, selector, LIVE)


def read(driver, selector):
    return harness.read(driver, selector, seconds=LIVE)


def shows(driver, selector, expected, attribute=None):
    harness.shows(driver, selector, expected, attribute, LIVE)


def words(driver, *path):
    """The words the server shows at `path` in the language of the driver's page."""
    return harness.words(until(driver, language_of), *path)


def enter(driver, base, phone):
    """Signs in, then switches the pages to Chinese with the header's language link when they are
    not (headless Chromium asks for English whatever its `--lang`)."""
    sign_in(driver, base, phone)
    use_language(driver, "zh-CN", LIVE)


def wait_on(driver, base, phone, home, selector):
    """The person `phone` enters and waits on their home page (`home`), which is marked so that a
    later check can tell it was not loaded again; returns the element of `selector` on it."""
    enter(driver, base, phone)
    assert driver.current_url.endswith(home)
    element = shown(driver, selector)
    mark(driver)
    return element


def fen(text):
    """`¥12.34` (or `12.34`) in fen."""
    found = re.search(r"(\d+)\.(\d{2})", text)
    assert found, f"no amount in {text!r}"
    return int(found.group(1)) * 100 + int(found.group(2))


def last_path_segment(driver):
    return driver.current_url.split("?")[0].split("#")[0].rstrip("/").split("/")[-1]


def with_id(container, identifier):
    """The card of a live list with `identifier` (identifiers are compared without case)."""
    return f"{container} [data-id='{identifier}' i]"


def figures(driver, scope):
    """The four figures of an insurance quote or settlement table (total, pooled fund, personal
    account, cash, in the rows' order), in fen."""
    cells = driver.find_elements(By.CSS_SELECTOR, f"{scope} .figures tbody tr td")
    assert len(cells) == 4, f"{scope} shows {len(cells)} figures"
    return dict(zip(("total", "fund", "personalAccount", "cash"), (fen(cell.text) for cell in cells)))


def add_drug(doctor, query, strength, row):
    """Searches the editor's catalogue for `query` and adds the result of `strength` as item `row`."""
    def result(d):
        for card in d.find_elements(By.CSS_SELECTOR, "#results .result"):
            if strength in card.text:
                return card.find_element(By.CSS_SELECTOR, "button.add").get_attribute("value")
        return None
    type_into(doctor, "q", query)
    click(doctor, "#search")
    drug = until(doctor, result, message=f"no {query} of {strength} among the results")
    click(doctor, f"#results .add[value='{drug}']")
    until(doctor, lambda d: d.find_element(By.CSS_SELECTOR, f"#item-{row} input[name=drugId]").get_attribute("value") == drug)
    return drug


# MARK: The loop


def test_the_whole_closed_loop_each_person_in_their_own_browser(server, people):
    base = server.url
    patient, insurer, doctor = people["patient"], people["insurer"], people["doctor"]
    pharmacist, staff, courier = people["pharmacist"], people["staff"], people["courier"]

    # 1. The insurer issues an e-voucher for the person; the patient pastes it and is covered.
    enter(insurer, base, INSURER)
    click(insurer, "nav a[href='/insurance/persons']")
    click(insurer, f"#persons li[data-number='{INSURED_NUMBER}'] button.voucher")
    voucher = until(insurer, lambda d: d.find_element(By.ID, "voucher").get_attribute("value").strip())
    assert INSURED_NUMBER in insurer.find_element(By.TAG_NAME, "main").text

    enter(patient, base, PATIENT)
    click(patient, "nav a[href='/me']")
    click(patient, "main a[href='/me/insurance']")
    assert shown(patient, "#no-coverage")
    type_into(patient, "voucher", voucher)
    click(patient, "#link")
    shows(patient, "#coverage-region", REGION)
    assert INSURED_NUMBER in patient.find_element(By.ID, "coverage-facts").text

    # The doctor waits on the queue page, the pharmacist on the review queue: neither reloads.
    doctor_name = wait_on(doctor, base, DOCTOR, "/queue", "#doctor-name").text
    wait_on(pharmacist, base, PHARMACIST, "/review-queue", "#review-queue")

    # 2. The patient finds the doctor by name and books a follow-up of the prior asthma visit.
    click(patient, "nav a[href='/doctors']")
    type_into(patient, "q", doctor_name)
    click(patient, "form.search button[type=submit]")
    shown(patient, "#results")
    patient.find_element(By.LINK_TEXT, doctor_name).click()
    click(patient, "#book input[name=service][value=textPackage]")
    visits = Select(patient.find_element(By.ID, "encounterId"))
    prior = [option.text for option in visits.options if "J45.9" in option.text]
    assert prior, f"the patient's prior asthma visit is offered: {[o.text for o in visits.options]}"
    visits.select_by_visible_text(prior[0])
    click(patient, "#book button[type=submit]")
    shown(patient, "#order-state")
    order_url = patient.current_url

    # The quote, figure by figure with its sentences: the pooled fund pays part of the fee.
    shown(patient, "#quote-title")
    quote = figures(patient, "section[aria-labelledby=quote-title]")
    assert quote["fund"] > 0, quote
    assert quote["total"] == quote["fund"] + quote["personalAccount"] + quote["cash"], quote
    assert fen(patient.find_element(By.ID, "quote-fund").text) == quote["fund"]
    assert len(patient.find_elements(By.CSS_SELECTOR, "section[aria-labelledby=quote-title] .sentences li")) >= 2

    # Tops up the wallet (it comes back to the order) and pays.
    click(patient, "#top-up-link")
    type_into(patient, "amount", "1000")
    click(patient, "#top-up")
    until(patient, lambda d: d.current_url.split("#")[0] == order_url)
    click(patient, "#pay")
    consultation_page = shown(patient, "#consultation")
    assert consultation_page.get_attribute("data-state") == "waiting"
    consultation = consultation_page.get_attribute("data-id")

    # 3. The doctor's queue shows the patient without a reload; the doctor accepts.
    accept = f"#queue form[action='/consultations/{consultation}/accept' i] button.accept"
    shown(doctor, accept)
    assert same_page(doctor)
    click(doctor, accept)
    shown(doctor, "#message-text")

    # The patient's page follows the acceptance; a message each way, seen without reloading.
    shown(patient, "#message-text")
    for driver in (patient, doctor):
        until(driver, lambda d: d.find_element(By.ID, "consultation").get_attribute("data-live") == "open")
        mark(driver)
    question = "医生您好，最近夜里咳嗽、气喘又多了。"
    answer = "请规律使用信必可，气喘时再用万托林，我给您开药。"
    type_into(patient, "message-text", question)
    click(patient, "#send")
    until(doctor, lambda d: question in texts(d, "#messages .text"))
    type_into(doctor, "message-text", answer)
    click(doctor, "#send")
    until(patient, lambda d: answer in texts(d, "#messages .text"))
    assert same_page(patient) and same_page(doctor)
    assert question in texts(patient, "#messages .mine .text") and answer in texts(doctor, "#messages .mine .text")

    # 4. The doctor prescribes two inhalers in the editor; the findings follow the rows.
    click(doctor, "#prescribing-links a.button")
    shown(doctor, "#editor")
    assert doctor.find_element(By.ID, "diagnosis").get_attribute("value") == "J45.9", "the prior visit's diagnosis"
    add_drug(doctor, "salbutamol", "100 μg/puff", 0)
    fill_row(doctor, 0, "2", "2", "7")
    add_drug(doctor, "Symbicort", "160 μg/4.5 μg", 1)
    fill_row(doctor, 1, "1", "2", "7")
    until(doctor, lambda d: d.find_elements(By.CSS_SELECTOR, "#findings .finding, #findings #findings-clear"))
    click(doctor, "#save")
    shows(doctor, "#prescription-state", "draft", attribute="data-state")
    prescription = last_path_segment(doctor)
    assert len(doctor.find_elements(By.CSS_SELECTOR, "#prescription-items tbody tr")) == 2

    # The findings are shown; any that needs a reason to sign over gets one.
    assert doctor.find_elements(By.CSS_SELECTOR, "#findings-clear, #findings .finding")
    while doctor.find_elements(By.CSS_SELECTOR, "form.override"):
        form = doctor.find_element(By.CSS_SELECTOR, "form.override")
        index = form.get_attribute("id").split("-")[-1]
        type_into(doctor, f"override-{index}-reason", "哮喘维持与缓解联合用药，已交代用法")
        click(doctor, f"#override-{index} button[type=submit]")
        until(doctor, lambda d: not d.find_elements(By.ID, f"override-{index}"))
    click(doctor, "#sign")
    shows(doctor, "#prescription-state", "signed", attribute="data-state")
    assert shown(doctor, "#verification-verdict").get_attribute("data-valid") == "true"

    # The doctor completes the consultation with the ICD-10 diagnosis.
    click(doctor, f"a[href='/consultations/{consultation}' i]")
    type_into(doctor, "diagnosis", "J45.9")
    click(doctor, "#complete")
    until(doctor, lambda d: d.find_element(By.ID, "consultation").get_attribute("data-state") == "completed")

    # 5. The pharmacist of the internet hospital sees it arrive without a reload and approves.
    card = with_id("#review-queue", prescription)
    shown(pharmacist, card)
    assert same_page(pharmacist)
    click(pharmacist, f"{card} a")
    shown(pharmacist, "#items")
    assert len(pharmacist.find_elements(By.CSS_SELECTOR, "#items tbody tr")) == 2
    click(pharmacist, "#approve")
    shows(pharmacist, "#prescription-state", words(pharmacist, "enum", "approved"))

    # 6. The patient opens the prescription from the consultation: both signatures verify.
    shown(patient, "#rating")  # the consultation page followed the completion by itself
    click(patient, "#consultation-prescriptions")
    click(patient, f"#prescriptions a[href='/prescriptions/{prescription}' i]")
    shows(patient, "#prescription-state", "approved", attribute="data-state")
    assert shown(patient, "#verification-verdict").get_attribute("data-valid") == "true"
    assert [li.get_attribute("data-role") for li in patient.find_elements(By.CSS_SELECTOR, "#signatures li")] \
        == ["doctor", "pharmacist"]

    # Pharmacy options for O2O delivery near the pharmacy; reserves at 荷花店.
    click(patient, "#choose-pharmacy")
    click(patient, "input[name=mode][value=o2o]")
    type_into(patient, "lat", PLACE[0])
    type_into(patient, "lon", PLACE[1])
    click(patient, "#find")
    shown(patient, "#options .option")
    options = [o for o in patient.find_elements(By.CSS_SELECTOR, "#options .option") if PHARMACY in o.text]
    assert options, f"{PHARMACY} delivers: {texts(patient, '#options .option h3')}"
    assert words(patient, "prescribing", "pharmacies", "insurance") in options[0].text
    options[0].find_element(By.CSS_SELECTOR, "button.reserve").click()
    shows(patient, "#medicine-order-state", "reserved", attribute="data-state")
    order = last_path_segment(patient)

    # The medicine order's insurance quote, line by line (a class-A and a class-B inhaler).
    quote_scope = "section[aria-labelledby=quote-title]"
    lines = patient.find_elements(By.CSS_SELECTOR, f"{quote_scope} .quote-lines li")
    assert len(lines) == 2
    classes = {line.find_element(By.CSS_SELECTOR, ".tag").text for line in lines}
    assert len(classes) == 2 and all(words(patient, "prescribing", "insuranceClass") in c for c in classes), classes
    assert patient.find_elements(By.CSS_SELECTOR, f"{quote_scope} .sentences li")
    medicine_quote = figures(patient, quote_scope)
    assert medicine_quote["total"] == medicine_quote["fund"] + medicine_quote["personalAccount"] + medicine_quote["cash"]
    assert medicine_quote["total"] == sum(fen(t) for t in texts(patient, "#order-lines tbody td:last-child"))
    assert medicine_quote["fund"] > 0, f"the policy covers both inhalers: {medicine_quote}"

    # The pharmacy's staff and courier wait on their lists.
    wait_on(staff, base, STAFF, "/pharmacy/orders", "#pharmacy-orders")
    wait_on(courier, base, COURIER, "/deliveries", "#deliveries")

    # Pays: the settlement replaces the quote, with the same figures.
    click(patient, "#pay")
    shows(patient, "#medicine-order-state", "paid", attribute="data-state")
    settled = figures(patient, ".settlement")
    assert settled == medicine_quote, (settled, medicine_quote)
    mark(patient)

    # 7. The staff see the paid order without a reload, scan a code per package and dispense.
    order_card = with_id("#pharmacy-orders", order)
    shown(staff, order_card)
    assert same_page(staff)
    click(staff, f"{order_card} a")
    shown(staff, "#dispense-form")
    packages = staff.find_elements(By.CSS_SELECTOR, "#dispense-form input[name=codes]")
    assert len(packages) == 2, "one package of each inhaler"
    assert staff.switch_to.active_element.get_attribute("id") == "code-0"
    for index in range(len(packages)):
        product = staff.find_element(By.ID, f"code-{index}-product").text.split()[-1]
        staff.switch_to.active_element.send_keys(f"{product}{next(CODES) + 9100000:013d}" + Keys.ENTER)
    assert staff.switch_to.active_element.get_attribute("id") == "dispense"
    staff.switch_to.active_element.send_keys(Keys.ENTER)
    shows(staff, "#order-state", words(staff, "enum", "dispensed"))
    # Dispensing gives the O2O order to the pharmacy's courier.
    until(staff, lambda d: d.find_element(By.ID, "delivery-status").text.startswith(words(staff, "enum", "assigned")))
    assert not staff.find_elements(By.ID, "assign-courier")

    shows(patient, "#medicine-order-state", "dispensed", attribute="data-state")
    shows(patient, "#delivery-status", "assigned", attribute="data-status")
    assert same_page(patient)

    # 8. The courier sees it without a reload and reports each step; the patient follows.
    delivery_card = with_id("#deliveries", order)
    shown(courier, delivery_card)
    assert same_page(courier)
    click(courier, f"{delivery_card} button.next-step[data-status=pickedUp]")
    shows(courier, f"{delivery_card} .delivery-status", words(courier, "enum", "pickedUp"))
    shows(patient, "#delivery-status", "pickedUp", attribute="data-status")
    assert same_page(patient)
    click(courier, f"{delivery_card} h2 a")
    for step in ("inTransit", "delivered"):
        click(courier, f"#next-step[data-status={step}]")
        shows(courier, "#delivery-status", words(courier, "enum", step))
        shows(patient, "#delivery-status", step, attribute="data-status")
        assert same_page(patient)
    shows(patient, "#medicine-order-state", "delivered", attribute="data-state")
    assert [li.get_attribute("data-status") for li in patient.find_elements(By.CSS_SELECTOR, "#delivery-updates li")] \
        [-3:] == ["pickedUp", "inTransit", "delivered"]

    # The patient confirms receipt and sees the settlement.
    click(patient, "#confirm-receipt")
    shows(patient, "#medicine-order-state", "received", attribute="data-state")
    settled = figures(patient, ".settlement")
    assert settled["fund"] > 0 and settled == medicine_quote
    assert patient.find_elements(By.CSS_SELECTOR, ".settlement .sentences li")

    # 9. The patient rates the doctor and sends flowers on the completed consultation's page.
    click(patient, "nav a[href='/wallet']")
    before = fen(read(patient, "#balance"))
    click(patient, "nav a[href='/orders']")
    click(patient, f"#orders a[href='{order_url[len(base):]}' i]")
    click(patient, f"a[href='/consultations/{consultation}' i]")
    for field in ("efficiency", "attitude", "professionalism"):
        click(patient, f"#rating input[name={field}][value='5']")
    comment = "用药后夜里不咳了，谢谢医生！"
    type_into(patient, "comment", comment)
    submit(patient, "#rate")
    assert not patient.find_elements(By.ID, "consultation-error")
    flowers = shown(patient, "#gift input[name=kind][value=flowers]")
    price = fen(flowers.find_element(By.XPATH, "..").text)
    flowers.click()
    submit(patient, "#send-gift")
    assert not patient.find_elements(By.ID, "consultation-error")
    click(patient, "nav a[href='/wallet']")
    assert fen(read(patient, "#balance")) == before - price, "the flowers were paid from the wallet"

    # The doctor's public profile shows the comment.
    patient.back()
    click(patient, "#consultation a[href^='/doctors/']")
    until(patient, lambda d: comment in d.find_element(By.CSS_SELECTOR, "ul.comments").text)

    # The patient's insurance page lists both settlements: the consultation's and the medicines'.
    click(patient, "nav a[href='/me']")
    click(patient, "main a[href='/me/insurance']")
    shown(patient, "#settlement-list")
    assert patient.find_elements(By.CSS_SELECTOR, f"#settlement-list a[href='{order_url[len(base):]}' i]")
    listed = patient.find_elements(By.CSS_SELECTOR, f"#settlement-list a[href='/medicine-orders/{order}' i]")
    assert listed
    card = listed[0].find_element(By.XPATH, "ancestor::li[contains(@class, 'card')]")
    assert fen(card.find_element(By.CSS_SELECTOR, ".fund").text) == medicine_quote["fund"]
