"""The usage figures in the browser (issue 20, part 7): the operator and the regulator open
`/analytics`, see every figure as a chart drawn by the server (inline SVG, an accessible image
labelled in the page's language, no script), pick a period and a region, and download each figure
as CSV; a regulator asking for another region is refused. A consultation is bought and completed
through the JSON API first, so the charts have something to show. Every page is opened in zh-CN
and in English, is accessible and validates."""

import csv
import io
import re

import pytest
from selenium.webdriver.common.by import By

from harness import (Api, KeptPages, assert_accessible, assert_fits_phone, assert_rendered, fetch_as_browser, named,
                     open_in_both_languages, sign_in, type_into, use_language, visible, words)

OPERATOR = "13000000001"
REGULATOR = "13500000001"
PATIENT = "13800000004"
DOCTOR = "13900000003"
FIGURES = ["consultations-by-kind", "consultations-by-department", "consultations-by-hour", "consultations-by-weekday",
           "consultations-by-title", "prices", "price-trend", "top-conditions", "settlements", "repeat-visits",
           "review-turnaround"]
LEAK = re.compile(r"\{\{|\b(?:analytics|enum|nav|frame|role)\.[A-Za-z]")


@pytest.fixture(scope="module")
def consultation(server):
    """A text consultation bought and completed today."""
    api = Api(server.url)
    order = api.call("POST", "/orders", PATIENT, {"doctorId": named("doctor:3"), "service": "textPackage",
                                                   "encounterId": named("encounter:" + PATIENT)}, key=True, expect=201)["id"]
    api.call("POST", "/wallet/top-ups", PATIENT, {"amountFen": 10000}, key=True, expect=201)
    consultation = api.call("POST", f"/orders/{order}/pay", PATIENT, key=True)["consultationId"]
    api.call("POST", f"/consultations/{consultation}/accept", DOCTOR)
    return consultation


@pytest.fixture(scope="module")
def kept():
    return KeptPages()


def assert_page(driver, language):
    assert_rendered(driver, language, LEAK, reading_only=True)
    charts = driver.find_elements(By.CSS_SELECTOR, "main section.chart svg[role=img]")
    assert len(charts) == len(FIGURES), driver.current_url
    assert not driver.find_elements(By.CSS_SELECTOR, "main svg script, main svg [style]")
    title = driver.find_element(By.CSS_SELECTOR, "#figure-consultations-by-kind svg title").get_attribute("textContent")
    assert title == words(language, "analytics", "figures", "consultations-by-kind")


def test_analytics_pages_render_in_both_languages(server, consultation, driver, kept):
    base = server.url
    for phone in (OPERATOR, REGULATOR):
        driver.delete_all_cookies()
        sign_in(driver, base, phone)
        open_in_both_languages(driver, base, ["/analytics", "/analytics?region=330800"], assert_page)
        assert_accessible(driver)
        assert_fits_phone(driver)
        kept.served(driver)


def test_the_operator_sees_todays_consultation_and_downloads_it_as_csv(server, consultation, driver):
    base = server.url
    sign_in(driver, base, OPERATOR)
    use_language(driver, "en")
    driver.get(base + "/analytics")
    bars = driver.find_elements(By.CSS_SELECTOR, "#figure-consultations-by-kind svg rect title")
    assert any(bar.get_attribute("textContent").startswith("Text/image") for bar in bars)
    link = visible(driver, "#figure-consultations-by-kind a[download]").get_attribute("href")
    answer = fetch_as_browser(driver, link)
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(answer.text)))
    assert rows[0] == ["kind", "count"]
    assert any(row[0] == "textPackage" and int(row[1]) >= 1 for row in rows[1:])


def test_a_period_is_picked_with_the_form_and_a_backwards_one_is_refused(server, driver, kept):
    base = server.url
    sign_in(driver, base, OPERATOR)
    use_language(driver, "en")
    driver.get(base + "/analytics")
    driver.execute_script("document.getElementById('from').value = '2026-11-07'; document.getElementById('to').value = '2026-11-01';")
    driver.find_element(By.CSS_SELECTOR, "#analytics-form button[type=submit]").click()
    error = visible(driver, "#from-error")
    assert error.text
    assert driver.find_element(By.ID, "from").get_attribute("aria-invalid") == "true"
    kept.shown(driver)


def test_a_regulator_is_refused_another_region(server, driver):
    base = server.url
    sign_in(driver, base, REGULATOR)
    use_language(driver, "en")
    driver.get(base + "/analytics?region=110100")
    assert not driver.find_elements(By.CSS_SELECTOR, "main svg[role=img]")
    assert visible(driver, "#analytics-error").text
    assert fetch_as_browser(driver, base + "/analytics?region=110100").status_code == 403
    assert fetch_as_browser(driver, base + "/analytics/prices.csv?region=110100").status_code == 403


def test_pages_validate(kept):
    kept.assert_valid("medloop-analytics-pages-")
