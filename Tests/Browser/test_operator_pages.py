"""The operator's and the regulator's pages in the browser: institutions (registering one,
changing its flags and the platform's commission rate), staff accounts, the quotas they read, and
the regulator's view of the audit log (who read which patient's data, filtered by actor and by
patient). Every page is opened in zh-CN and in English; every form is also given a bad input,
shown beside its field with nothing changed."""

import json
import os
import re

import pytest
import requests
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from harness import PASSWORD, ROOT, Server, browser, sign_in, visible

OPERATOR, REGULATOR, PATIENT = "13000000001", "13500000001", "13800000001"
WEB = os.path.join(ROOT, "Sources/MedLoopApp/Resources/Web")


def catalogue(language):
    with open(os.path.join(WEB, f"web.{language}.json"), encoding="utf-8") as file:
        return json.load(file)


ERROR_TITLES = {title for language in ("zh-CN", "en") for title in catalogue(language)["error"].values()}
# A catalogue path or a mustache tag left in the text a person reads (the audit log's action
# codes are shown as codes, in `<code>`, and left out before looking).
LEAK = re.compile(r"\{\{|\b(?:insurance|operator|audit|enum|fieldError|nav|frame|error|role)\.[A-Za-z]")


@pytest.fixture(scope="module")
def server():
    running = Server()
    yield running
    running.stop()
    running.clean()


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
        WebDriverWait(driver, 15, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException)) \
            .until(lambda d: language_of(d) == language)


def reading_text(driver):
    """The text a person reads, without the codes the pages show as codes."""
    return driver.execute_script("""
        const copy = document.body.cloneNode(true);
        copy.querySelectorAll('code, textarea').forEach(e => e.remove());
        return copy.innerText;""")


def assert_page(driver, language):
    """The page rendered in `language`, is no error page, and shows no template or catalogue path."""
    heading = visible(driver, "main h1").text
    assert language_of(driver) == language
    assert heading and heading not in ERROR_TITLES, f"{driver.current_url} shows the error page: {heading}"
    leak = LEAK.search(reading_text(driver)) or re.search(r"\{\{", driver.page_source)
    assert leak is None, f"{driver.current_url} leaks {leak.group(0)!r}"
    if language == "zh-CN":
        assert re.search(r"[\u4e00-\u9fff]", heading), f"{driver.current_url}: the heading {heading!r} is not in Chinese"
    else:
        assert heading.isascii(), f"{driver.current_url}: the heading {heading!r} is not in English"


def open_in_both_languages(driver, base, paths):
    for language in ("zh-CN", "en"):
        driver.get(base + paths[0])
        use_language(driver, language)
        for path in paths:
            driver.get(base + path)
            assert_page(driver, language)


def field_error(driver, field_id, error_id):
    """The error shown beside a field: visible, and the field points at it and is marked invalid."""
    error = visible(driver, f"#{error_id}")
    field = driver.find_element(By.ID, field_id)
    assert field.get_attribute("aria-invalid") == "true"
    assert error_id in (field.get_attribute("aria-describedby") or "").split()
    return error.text


def until(driver, condition, message=""):
    """Waits until `condition(driver)` holds, across the page loads a form's redirect makes."""
    return WebDriverWait(driver, 15, poll_frequency=0.1,
                         ignored_exceptions=(NoSuchElementException, StaleElementReferenceException)) \
        .until(condition, message)


def shows(driver, selector, expected, attribute=None):
    """Waits until the element shows `expected` (its text, or an attribute)."""
    def current(d):
        element = d.find_element(By.CSS_SELECTOR, selector)
        return (element.get_attribute(attribute) if attribute else element.text) == expected
    until(driver, current, f"{selector} never showed {expected!r}")


def fill(driver, field_id, text):
    field = driver.find_element(By.ID, field_id)
    field.clear()
    field.send_keys(text)


def submit(driver, button_id):
    """Submits a form with its button and waits for the page that answers it."""
    button = driver.find_element(By.ID, button_id)
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'}); window.medloopBefore = true;", button)
    button.click()
    until(driver, lambda d: d.execute_script("return document.readyState === 'complete' && !window.medloopBefore"))


def test_every_operator_page_renders_in_both_languages(server, driver):
    base = server.url
    sign_in(driver, base, OPERATOR)
    assert driver.current_url.endswith("/institutions")
    first = visible(driver, "#institutions li a").get_attribute("href").removeprefix(base)
    open_in_both_languages(driver, base, ["/institutions", first, "/accounts", "/insurance/quotas", "/institutions?kind=pharmacy"])
    assert not driver.find_elements(By.ID, "set-quota"), "an operator reads quotas and sets none"


def test_operator_registers_an_institution_and_sets_its_commission(server, driver):
    base = server.url
    sign_in(driver, base, OPERATOR)
    use_language(driver, "en")

    # A region code that is not six digits is refused beside it, and nothing is registered.
    Select(driver.find_element(By.ID, "kind")).select_by_value("physicalHospital")
    fill(driver, "name", "衢州测试医院")
    fill(driver, "regionCode", "3308")
    Select(driver.find_element(By.ID, "level")).select_by_value("secondary")
    submit(driver, "add-submit")
    assert field_error(driver, "regionCode", "regionCode-error")
    driver.get(base + "/institutions?region=330802")
    assert "衢州测试医院" not in driver.find_element(By.ID, "institutions").text

    # Registered: its page shows it, designated, at the default commission.
    fill(driver, "name", "衢州测试医院")
    fill(driver, "regionCode", "330802")
    Select(driver.find_element(By.ID, "level")).select_by_value("secondary")
    driver.find_element(By.ID, "insuranceDesignated").click()
    submit(driver, "add-submit")
    assert visible(driver, "#institution-name").text == "衢州测试医院"
    assert driver.find_element(By.ID, "institution-commission").text == "10%"
    page = driver.current_url

    # A commission that is not a percentage, or over 100 %, is refused beside it; the rate stays.
    fill(driver, "commissionRate", "ten")
    submit(driver, "edit-submit")
    assert field_error(driver, "commissionRate", "commissionRate-error")
    fill(driver, "commissionRate", "150")
    submit(driver, "edit-submit")
    assert field_error(driver, "commissionRate", "commissionRate-error")
    driver.get(page)
    assert visible(driver, "#institution-commission").text == "10%"

    fill(driver, "commissionRate", "12.5")
    submit(driver, "edit-submit")
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
    fill(driver, "displayName", "新药师")
    fill(driver, "phone", "12345")
    fill(driver, "password", "abc")
    submit(driver, "add-submit")
    assert field_error(driver, "phone", "phone-error")
    assert field_error(driver, "password", "password-error")
    assert not driver.find_elements(By.CSS_SELECTOR, "#accounts [data-phone='13711112222']")

    fill(driver, "phone", "13711112222")
    fill(driver, "password", "medloop-new-2026")
    submit(driver, "add-submit")
    created = visible(driver, "#created").text
    assert "新药师" in created and "13711112222" in created
    driver.get(base + "/accounts?role=pharmacist")
    assert driver.find_elements(By.CSS_SELECTOR, "#accounts [data-phone='13711112222']")
    assert_page(driver, "zh-CN")


def test_regulator_reads_who_accessed_which_patients_data(server, driver):
    base = server.url
    # A patient reads their own record through the API, so that the log has a read of a patient's data.
    token = requests.post(base + "/api/v1/auth/sign-in", json={"phone": PATIENT, "password": PASSWORD}, timeout=30).json()["token"]
    headers = {"Authorization": "Bearer " + token}
    me = requests.get(base + "/api/v1/me", headers=headers, timeout=30).json()
    assert requests.get(f"{base}/api/v1/patients/{me['patientId']}", headers=headers, timeout=30).status_code == 200

    sign_in(driver, base, REGULATOR)
    assert driver.current_url.endswith("/audit")
    open_in_both_languages(driver, base, ["/audit", "/insurance/quotas"])
    assert not driver.find_elements(By.ID, "set-quota"), "a regulator reads quotas and sets none"

    driver.get(base + "/audit")
    use_language(driver, "en")
    entries = driver.find_elements(By.CSS_SELECTOR, "#entries li")
    assert entries, "the log has entries"
    assert all(re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", entry.text) for entry in entries), "each entry says when"

    # A malformed actor ID is refused beside it.
    fill(driver, "actorId", "not-an-id")
    submit(driver, "filter-submit")
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
    fill(driver, "patientId", patient_id)
    today = driver.execute_script(
        "return new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 10);")
    driver.execute_script("arguments[0].value = arguments[1]; arguments[2].value = arguments[1];",
                          driver.find_element(By.ID, "from"), today, driver.find_element(By.ID, "to"))
    submit(driver, "filter-submit")
    until(driver, lambda d: "patientId=" in d.current_url)
    rows = driver.find_elements(By.CSS_SELECTOR, "#entries li")
    assert rows
    assert all(e.text == patient_id for e in driver.find_elements(By.CSS_SELECTOR, "#entries a.patient"))
    assert len(driver.find_elements(By.CSS_SELECTOR, "#entries a.patient")) == len(rows)
    assert_page(driver, "en")
