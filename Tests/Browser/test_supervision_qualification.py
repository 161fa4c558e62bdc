"""Qualification review in the browser: a doctor submits a credential on the credentials page,
attaching a certificate image (uploaded by `credentials.js`); the regulator finds it in the review
queue, sees the image, is refused a decision whose reason is blank (nothing changes), approves it
with a reason, and later suspends it; the suspended doctor is gone from search. Every page is
opened in zh-CN and in English."""

import base64
import os
import re
import tempfile

import pytest
from selenium.webdriver.common.by import By

from harness import (Api, KeptPages, assert_accessible, assert_fits_phone, assert_rendered, field_error, named,
                     open_in_both_languages, set_value, shows, sign_in, submit_with, type_into, until, use_language,
                     visible, words)

DOCTOR, REGULATOR = "13900000001", "13500000001"
PAGES = KeptPages()
LEAK = re.compile(r"\{\{|\b(?:qualification|enum|fieldError|nav|frame|error|role)\.[A-Za-z]")
# A 1×1 PNG, as a phone's camera would send a much larger one.
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==")


@pytest.fixture(scope="module")
def world(server):
    return Api(server.url)


@pytest.fixture(scope="module")
def certificate():
    """A certificate image on disk, for the file chooser."""
    folder = tempfile.mkdtemp(prefix="medloop-certificate-")
    path = os.path.join(folder, "certificate.png")
    with open(path, "wb") as file:
        file.write(PNG)
    return path


def assert_page(driver, language):
    """The page rendered in `language`, shows no template or catalogue path, fits the phone, is
    accessible, and is kept as served for the validator."""
    assert_rendered(driver, language, LEAK, reading_only=True)
    assert_fits_phone(driver)
    assert_accessible(driver)
    PAGES.served(driver)


def test_a_doctor_submits_and_the_regulator_approves_then_suspends(server, world, certificate, driver, second):
    base = server.url
    sign_in(driver, base, DOCTOR)
    use_language(driver, "en")
    driver.get(base + "/credentials")
    visible(driver, "#no-credentials")
    type_into(driver, "licence-number", "110330800000001")
    type_into(driver, "years-of-practice", "12")
    set_value(driver, "licence-expires-on", "2030-06-30")
    driver.find_element(By.ID, "certificate-images").send_keys(certificate)
    until(driver, lambda d: d.find_element(By.ID, "certificate-files").get_attribute("value"), message="the image was not uploaded")
    submit_with(driver, "submit-credential-button")
    card = visible(driver, "#credentials [data-state='submitted']")
    credential = card.get_attribute("data-id")
    assert "110330800000001" in card.text

    sign_in(second, base, REGULATOR)
    open_in_both_languages(second, base, ["/supervision/qualifications", f"/supervision/qualifications/{credential}",
                                          "/supervision/qualifications?state=approved"], assert_page)
    use_language(second, "en")
    second.get(base + "/supervision/qualifications")
    visible(second, f"#credential-queue [data-id='{credential}']").find_element(By.TAG_NAME, "a").click()
    shows(second, "#credential-state", words("en", "qualification", "state", "submitted"))
    image = visible(second, "#credential-files img")
    assert second.execute_script("return arguments[0].complete && arguments[0].naturalWidth === 1", image)

    # A blank reason is refused beside it, and the credential still waits.
    second.find_element(By.ID, "decision-approve").click()
    type_into(second, "decision-reason", "   ")
    submit_with(second, "decide-submit")
    assert field_error(second, "decision-reason", "decision-reason-error", kept=PAGES)
    assert world.call("GET", f"/supervision/credentials/{credential}", REGULATOR)["state"] == "submitted"

    second.find_element(By.ID, "decision-approve").click()
    type_into(second, "decision-reason", "证书与注册信息核对一致")
    submit_with(second, "decide-submit")
    shows(second, "#credential-state", words("en", "qualification", "state", "approved"))
    assert "证书与注册信息核对一致" in second.find_element(By.ID, "credential-history").text

    # Suspended, the doctor leaves search at once.
    second.find_element(By.ID, "decision-suspend").click()
    type_into(second, "decision-reason", "违规开具处方，暂停执业待查")
    submit_with(second, "decide-submit")
    shows(second, "#credential-state", words("en", "qualification", "state", "suspended"))
    found = world.call("GET", "/doctors?limit=100&q=%E9%AB%98%E8%A1%80%E5%8E%8B")["items"]
    assert named("doctor:1") not in [item["id"].lower() for item in found]

    # The doctor reads the decision on their page, in both languages.
    open_in_both_languages(driver, base, ["/credentials"], assert_page)
    use_language(driver, "en")
    driver.get(base + "/credentials")
    assert "违规开具处方" in visible(driver, f"#credentials [data-id='{credential}']").text


def test_every_page_is_valid_html():
    """The pages the test above opened, as served, and the refusal it showed pass the Nu HTML checker."""
    PAGES.assert_valid("helper-qualification-html-")
