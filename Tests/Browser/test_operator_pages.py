"""The operator's and the regulator's pages in the browser: institutions (registering one,
changing its flags and the platform's commission rate), staff accounts, the quotas they read, and
the regulator's view of the audit log (who read which patient's data, filtered by actor and by
patient). Every page is opened in zh-CN and in English; every form is also given a bad input,
shown beside its field with nothing changed."""

import re

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from harness import (Api, assert_rendered, field_error, open_in_both_languages, shows, sign_in, submit_with, type_into,
                     until, use_language, visible)

OPERATOR, REGULATOR, PATIENT = "13000000001", "13500000001", "13800000001"
# A catalogue path or a mustache tag left in the text a person reads (the audit log's action
# codes are shown as codes, in `<code>`, and left out before looking).
LEAK = re.compile(r"\{\{|\b(?:insurance|operator|audit|enum|fieldError|nav|frame|error|role)\.[A-Za-z]")


def assert_page(driver, language):
    """The page rendered in `language`, is no error page, and shows no template or catalogue path."""
    assert_rendered(driver, language, LEAK, reading_only=True)


def test_every_operator_page_renders_in_both_languages(server, driver):
    base = server.url
    sign_in(driver, base, OPERATOR)
    assert driver.current_url.endswith("/institutions")
    first = visible(driver, "#institutions li a").get_attribute("href").removeprefix(base)
    open_in_both_languages(driver, base, ["/institutions", first, "/accounts", "/insurance/quotas", "/institutions?kind=pharmacy"],
                           assert_page)
    assert not driver.find_elements(By.ID, "set-quota"), "an operator reads quotas and sets none"


def test_operator_registers_an_institution_and_sets_its_commission(server, driver):
    base = server.url
    sign_in(driver, base, OPERATOR)
    use_language(driver, "en")

    # A region code that is not six digits is refused beside it, and nothing is registered.
    Select(driver.find_element(By.ID, "kind")).select_by_value("physicalHospital")
    type_into(driver, "name", "衢州测试医院")
    type_into(driver, "regionCode", "3308")
    Select(driver.find_element(By.ID, "level")).select_by_value("secondary")
    submit_with(driver, "add-submit")
    assert field_error(driver, "regionCode", "regionCode-error")
    driver.get(base + "/institutions?region=330802")
    assert "衢州测试医院" not in driver.find_element(By.ID, "institutions").text

    # Registered: its page shows it, designated, at the default commission.
    type_into(driver, "name", "衢州测试医院")
    type_into(driver, "regionCode", "330802")
    Select(driver.find_element(By.ID, "level")).select_by_value("secondary")
    driver.find_element(By.ID, "insuranceDesignated").click()
    submit_with(driver, "add-submit")
    assert visible(driver, "#institution-name").text == "衢州测试医院"
    assert driver.find_element(By.ID, "institution-commission").text == "10%"
    page = driver.current_url

    # A commission that is not a percentage, or over 100 %, is refused beside it; the rate stays.
    type_into(driver, "commissionRate", "ten")
    submit_with(driver, "edit-submit")
    assert field_error(driver, "commissionRate", "commissionRate-error")
    type_into(driver, "commissionRate", "150")
    submit_with(driver, "edit-submit")
    assert field_error(driver, "commissionRate", "commissionRate-error")
    driver.get(page)
    assert visible(driver, "#institution-commission").text == "10%"

    type_into(driver, "commissionRate", "12.5")
    submit_with(driver, "edit-submit")
    shows(driver, "#institution-commission", "12.5%")
    assert_page(driver, "en")


def test_operator_creates_a_staff_account(server, driver):
    base = server.url
    sign_in(driver, base, OPERATOR)
    driver.get(base + "/accounts")
    use_language(driver, "zh-CN")

    # A phone number that is not one and a too-simple password: each beside its field, no account.
    Select(driver.find_element(By.ID, "role")).select_by_value("pharmacist")
    Select(driver.find_element(By.ID, "institutionId")).select_by_index(1)
    type_into(driver, "displayName", "新药师")
    type_into(driver, "phone", "12345")
    type_into(driver, "password", "abc")
    submit_with(driver, "add-submit")
    assert field_error(driver, "phone", "phone-error")
    assert field_error(driver, "password", "password-error")
    assert not driver.find_elements(By.CSS_SELECTOR, "#accounts [data-phone='13711112222']")

    type_into(driver, "phone", "13711112222")
    type_into(driver, "password", "medloop-new-2026")
    submit_with(driver, "add-submit")
    created = visible(driver, "#created").text
    assert "新药师" in created and "13711112222" in created
    driver.get(base + "/accounts?role=pharmacist")
    assert driver.find_elements(By.CSS_SELECTOR, "#accounts [data-phone='13711112222']")
    assert_page(driver, "zh-CN")


def test_regulator_reads_who_accessed_which_patients_data(server, driver):
    base = server.url
    # A patient reads their own record through the API, so that the log has a read of a patient's data.
    api = Api(base)
    me = api.call("GET", "/me", PATIENT)
    api.call("GET", f"/patients/{me['patientId']}", PATIENT, expect=200)

    sign_in(driver, base, REGULATOR)
    assert driver.current_url.endswith("/supervision"), "a regulator starts at the live dashboard"
    open_in_both_languages(driver, base, ["/audit", "/insurance/quotas"], assert_page)
    assert not driver.find_elements(By.ID, "set-quota"), "a regulator reads quotas and sets none"

    driver.get(base + "/audit")
    use_language(driver, "en")
    entries = driver.find_elements(By.CSS_SELECTOR, "#entries li")
    assert entries, "the log has entries"
    assert all(re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", entry.text) for entry in entries), "each entry says when"

    # A malformed actor ID is refused beside it.
    type_into(driver, "actorId", "not-an-id")
    submit_with(driver, "filter-submit")
    assert field_error(driver, "actorId", "actorId-error")
    assert not driver.find_elements(By.ID, "entries")

    # Filtered by an actor: every entry is theirs.
    driver.get(base + "/audit")
    actor = driver.find_element(By.CSS_SELECTOR, "#entries a.actor")
    actor_id = actor.text
    actor.click()
    until(driver, lambda d: "actorId=" in d.current_url)
    visible(driver, "#entries")
    assert driver.find_element(By.ID, "actorId").get_attribute("value") == actor_id
    assert all(e.text == actor_id for e in driver.find_elements(By.CSS_SELECTOR, "#entries a.actor"))

    # Filtered by a patient, over today: every entry is about that patient.
    driver.get(base + "/audit")
    patients = driver.find_elements(By.CSS_SELECTOR, "#entries a.patient")
    assert patients, "some entry reads a patient's data"
    patient_id = patients[0].text
    type_into(driver, "patientId", patient_id)
    today = driver.execute_script(
        "return new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 10);")
    driver.execute_script("arguments[0].value = arguments[1]; arguments[2].value = arguments[1];",
                          driver.find_element(By.ID, "from"), today, driver.find_element(By.ID, "to"))
    submit_with(driver, "filter-submit")
    until(driver, lambda d: "patientId=" in d.current_url)
    rows = driver.find_elements(By.CSS_SELECTOR, "#entries li")
    assert rows
    assert all(e.text == patient_id for e in driver.find_elements(By.CSS_SELECTOR, "#entries a.patient"))
    assert len(driver.find_elements(By.CSS_SELECTOR, "#entries a.patient")) == len(rows)
    assert_page(driver, "en")
