"""The insurer's pages in the browser: claims reviewed (approve, adjust, reject with a reason), the
registry of insured persons (adding one, importing a CSV with its refusals, issuing an
e-voucher), policy versions (a refused document shown key by key, a version superseded), quotas,
the day's clearing (downloaded as CSV and compared) and the settlement simulator. The patients'
claims are made through the JSON API, as `scripts/insurance-walkthrough` does. Every page is
opened in zh-CN and in English."""

import re

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from harness import (Api, assert_rendered, fetch_as_browser, field_error, language_of, named, national_id,
                     open_in_both_languages, set_value, shows, sign_in, submit_with, type_into, until, use_language,
                     visible)

INSURER = "13600000001"
# A catalogue path or a mustache tag left in the text a person reads (codes shown as codes, in
# `<code>`, are left out before looking).
LEAK = re.compile(r"\{\{|\b(?:insurance|operator|audit|enum|fieldError|nav|frame|error|role)\.[A-Za-z]")


class World(Api):
    """The JSON API as the demo accounts use it, to bring claims to the insurer's queue."""

    def claim(self, phone, insured_number):
        """A Quzhou follow-up paid in full before coverage was linked, then claimed by post."""
        order = self.call("POST", "/orders", phone, {"doctorId": named("doctor:3"), "service": "textPackage",
                                                      "encounterId": named("encounter:" + phone)}, key=True, expect=201)["id"]
        self.call("POST", "/wallet/top-ups", phone, {"amountFen": 10000}, key=True, expect=201)
        self.call("POST", f"/orders/{order}/pay", phone, key=True)
        self.link_coverage(phone, insured_number, INSURER)
        invoice = next(i for i in self.call("GET", "/me/invoices", phone)["items"] if (i.get("orderId") or "").lower() == order.lower())
        return self.call("POST", "/claims", phone, {"invoiceId": invoice["id"], "mode": "mailIn"}, key=True, expect=201)["id"]


@pytest.fixture(scope="module")
def world(server):
    return World(server.url)


@pytest.fixture(scope="module")
def claims(world):
    """Three filed claims of Quzhou patients: one to approve, one to adjust, one to reject."""
    return {"approve": world.claim("13800000004", "33080000000004"),
            "adjust": world.claim("13800000007", "33080000000007"),
            "reject": world.claim("13800000006", "33080000000006")}


def assert_page(driver, language):
    """The page rendered in `language`, is no error page, shows no error notice, and shows no
    template or catalogue path."""
    assert_rendered(driver, language, LEAK, reading_only=True)
    assert not driver.find_elements(By.CSS_SELECTOR, "main > .notice[role=alert]"), f"{driver.current_url} shows an error"


def test_every_insurer_page_renders_in_both_languages(server, claims, driver):
    base = server.url
    sign_in(driver, base, INSURER)
    assert driver.current_url.endswith("/insurance/claims")
    open_in_both_languages(driver, base, [
        "/insurance/claims", "/insurance/claims?state=approved", f"/insurance/claims/{claims['approve']}",
        "/insurance/persons", "/insurance/policies", "/insurance/policies/330800/2020-03", "/insurance/quotas",
        "/insurance/clearings", "/insurance/simulator"], assert_page)


def test_insurer_reviews_claims_and_a_bad_review_changes_nothing(server, claims, driver):
    base = server.url
    sign_in(driver, base, INSURER)
    use_language(driver, "en")
    listed = [e.get_attribute("data-id").lower() for e in driver.find_elements(By.CSS_SELECTOR, "#claims li")]
    assert {claim.lower() for claim in claims.values()} <= set(listed)

    # A rejection without a reason is refused beside the reason; the claim is still waiting.
    driver.get(f"{base}/insurance/claims/{claims['reject']}")
    driver.find_element(By.ID, "decision-reject").click()
    submit_with(driver, "review-submit")
    assert field_error(driver, "reason", "reason-error")
    assert visible(driver, "#claim").get_attribute("data-state") == "filed"

    # An adjustment whose amount is not an amount is refused beside the amount.
    driver.find_element(By.ID, "decision-adjust").click()
    type_into(driver, "approvedAmount", "12,5 yuan")
    type_into(driver, "reason", "Partly outside the policy")
    submit_with(driver, "review-submit")
    assert field_error(driver, "approvedAmount", "approvedAmount-error")
    driver.get(f"{base}/insurance/claims/{claims['reject']}")
    assert visible(driver, "#claim").get_attribute("data-state") == "filed"

    # Rejected with a reason: the decision and the reason are shown.
    driver.find_element(By.ID, "decision-reject").click()
    type_into(driver, "reason", "The visit was not for a covered condition")
    submit_with(driver, "review-submit")
    shows(driver, "#claim", "rejected", "data-state")
    assert visible(driver, "#claim-reason").text == "The visit was not for a covered condition"

    # Adjusted to 5.00 yuan: the claim pays that, and its settlement shows every figure.
    driver.get(f"{base}/insurance/claims/{claims['adjust']}")
    driver.find_element(By.ID, "decision-adjust").click()
    type_into(driver, "approvedAmount", "5")
    type_into(driver, "reason", "Delivery is not covered")
    submit_with(driver, "review-submit")
    shows(driver, "#claim", "adjusted", "data-state")
    assert visible(driver, "#claim-approved").text == "¥5.00"
    assert visible(driver, "#figures [data-figure=fundFen] td").text == "¥5.00"

    # Approved with the rule's figures, in Chinese.
    driver.get(f"{base}/insurance/claims/{claims['approve']}")
    use_language(driver, "zh-CN")
    driver.find_element(By.ID, "decision-approve").click()
    submit_with(driver, "review-submit")
    shows(driver, "#claim", "approved", "data-state")
    assert visible(driver, "#figures [data-figure=fundFen] td").text == "¥17.50"
    assert any("统筹基金支付" in item.text for item in driver.find_elements(By.CSS_SELECTOR, "#explanation li"))
    driver.get(f"{base}/insurance/claims?state=approved")
    assert claims["approve"].lower() in [e.get_attribute("data-id").lower() for e in driver.find_elements(By.CSS_SELECTOR, "#claims li")]


def test_insurer_keeps_the_registry_and_issues_a_voucher(server, driver):
    base = server.url
    sign_in(driver, base, INSURER)
    driver.get(base + "/insurance/persons")
    use_language(driver, "en")

    # A national ID with a wrong check digit is refused beside it, and nobody is added.
    good = national_id("33080219900101123")
    wrong = good[:-1] + ("1" if good[-1] != "1" else "2")
    type_into(driver, "nationalId", wrong)
    type_into(driver, "insuredNumber", "3308777001")
    submit_with(driver, "add-submit")
    assert field_error(driver, "nationalId", "nationalId-error")
    assert not driver.find_elements(By.CSS_SELECTOR, "#persons [data-number='3308777001']")

    # Added with a personal account typed in yuan.
    type_into(driver, "nationalId", good)
    type_into(driver, "insuredNumber", "3308777001")
    Select(driver.find_element(By.ID, "scheme")).select_by_value("employee")
    type_into(driver, "personalAccount", "120.50")
    submit_with(driver, "add-submit")
    assert "3308777001" in visible(driver, "#saved").text
    assert "¥120.50" in visible(driver, "#persons [data-number='3308777001']").text

    # A registry file: the good rows are saved, each refused row is reported by its line.
    rows = ["nationalId,scheme,insuredNumber,status,personalAccountFen",
            f"{national_id('33080219850505432')},employee,3308777002,active,5000",
            "330802198505054321,employee,3308777003,active,0",
            f"{national_id('33080219700303222')},resident,3308777004,active,100"]
    set_value(driver, "csv", "\n".join(rows) + "\n")
    submit_with(driver, "import-submit")
    assert visible(driver, "#import-applied").text == "1"
    refused = {e.get_attribute("data-line"): e.text for e in driver.find_elements(By.CSS_SELECTOR, "#import-refused li")}
    assert set(refused) == {"3", "4"}, refused
    assert "resident_has_no_account" in refused["4"]
    assert driver.find_elements(By.CSS_SELECTOR, "#persons [data-number='3308777002']")

    # A file without the header is refused beside the text.
    set_value(driver, "csv", "a,b\n1,2\n")
    submit_with(driver, "import-submit")
    assert field_error(driver, "csv", "csv-error")

    # An e-voucher for the new person: the text to hand over, which the person can link.
    card = driver.find_element(By.CSS_SELECTOR, "#persons [data-number='3308777001']")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", card)
    card.find_element(By.CSS_SELECTOR, "button.voucher").click()
    voucher = visible(driver, "#voucher").get_attribute("value")
    assert voucher.startswith("MLV1.330800.")
    assert_page(driver, "en")


def test_insurer_sees_each_bad_key_of_a_policy_by_its_path_and_supersedes_a_version(server, driver):
    base = server.url
    sign_in(driver, base, INSURER)
    driver.get(base + "/insurance/policies/330800/2020-03")
    use_language(driver, "en")
    assert "2020-03" in visible(driver, "#policy-version").text
    current = driver.find_element(By.ID, "document").get_attribute("value")
    assert 'region: "330800"' in current

    # A document with an unknown key and a ratio over 100 %: each named by its path, nothing added.
    driver.get(base + "/insurance/policies")
    versions = len(driver.find_elements(By.CSS_SELECTOR, "#policies li"))
    bad = (current.replace('version: "2020-03"', 'version: "2031-01"').replace("tertiary: 7000", "tertiary: 17000")
           + "bogus: 1\n")
    set_value(driver, "document", bad)
    submit_with(driver, "policy-submit")
    visible(driver, "#document-errors")
    paths = {e.get_attribute("data-field") for e in driver.find_elements(By.CSS_SELECTOR, "#document-errors li")}
    assert {"bogus", "schemes.employee.ratioBp.tertiary"} <= paths, paths
    document = driver.find_element(By.ID, "document")
    assert document.get_attribute("aria-invalid") == "true"
    assert "document-errors" in document.get_attribute("aria-describedby").split()
    assert "bogus: 1" in document.get_attribute("value")
    driver.get(base + "/insurance/policies")
    assert len(driver.find_elements(By.CSS_SELECTOR, "#policies li")) == versions

    # The same refusal in Chinese.
    use_language(driver, "zh-CN")
    set_value(driver, "document", bad)
    submit_with(driver, "policy-submit")
    until(driver, lambda d: language_of(d) == "zh-CN" and d.find_elements(By.CSS_SELECTOR, "#document-errors li"))
    assert any(re.search(r"[\u4e00-\u9fff]", e.text) for e in driver.find_elements(By.CSS_SELECTOR, "#document-errors li"))

    # Superseded from 2031: the new version is shown, the old one ends the day before.
    driver.get(base + "/insurance/policies/330800/2020-03")
    new = (current.replace('version: "2020-03"', 'version: "2031-01"')
           .replace('effectiveFrom: "2020-03-01"', 'effectiveFrom: "2031-01-01"').replace("capFen: 600000", "capFen: 650000"))
    set_value(driver, "document", new)
    submit_with(driver, "policy-submit")
    until(driver, lambda d: d.current_url.endswith("/insurance/policies/330800/2031-01"))
    visible(driver, "#policy-version")
    assert "¥6500.00" in driver.find_element(By.ID, "schemes").text
    driver.get(base + "/insurance/policies/330800/2020-03")
    assert "2030-12-31" in visible(driver, "#policy-effective").text


def test_insurer_sets_a_quota_and_a_bad_budget_changes_nothing(server, driver):
    base = server.url
    sign_in(driver, base, INSURER)
    driver.get(base + "/insurance/quotas")
    use_language(driver, "en")
    month = driver.find_element(By.ID, "set-month").get_attribute("value")
    hospital = named("institution:tertiary")
    before = visible(driver, f"#quotas [data-institution='{hospital.upper()}'] .budget").text

    Select(driver.find_element(By.ID, "institutionId")).select_by_value(hospital.upper())
    type_into(driver, "budget", "lots")
    submit_with(driver, "set-submit")
    assert field_error(driver, "budget", "budget-error")
    assert visible(driver, f"#quotas [data-institution='{hospital.upper()}'] .budget").text == before

    type_into(driver, "set-month", "2026-13")
    type_into(driver, "budget", "100")
    submit_with(driver, "set-submit")
    assert field_error(driver, "set-month", "set-month-error")

    type_into(driver, "set-month", month)
    type_into(driver, "budget", "65000.50")
    submit_with(driver, "set-submit")
    shows(driver, f"#quotas [data-institution='{hospital.upper()}'] .budget", "¥65000.50")


def test_insurer_downloads_and_compares_the_days_clearing(server, driver):
    base = server.url
    sign_in(driver, base, INSURER)
    driver.get(base + "/insurance/clearings")
    use_language(driver, "en")
    assert visible(driver, "#clearing").get_attribute("data-reconciled") == "true"
    assert int(driver.find_element(By.ID, "clearing-settlements").text) >= 2, "the claims reviewed above were settled today"

    # The file: a CSV attachment, as the API writes it.
    link = driver.find_element(By.ID, "download").get_attribute("href")
    answer = fetch_as_browser(driver, link)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/csv")
    assert answer.headers["Content-Disposition"].startswith("attachment; filename=\"clearing-330800-")
    assert answer.text.startswith("record,settlementId")

    # A statement figure that is not an amount is refused beside it; one that differs is listed.
    type_into(driver, "fund-0", "ten")
    type_into(driver, "account-0", "0")
    submit_with(driver, "compare-submit")
    assert field_error(driver, "fund-0", "fund-0-error")
    assert not driver.find_elements(By.ID, "differences")
    type_into(driver, "fund-0", "0.01")
    type_into(driver, "account-0", "0")
    submit_with(driver, "compare-submit")
    visible(driver, "#differences .difference")

    # A day that does not exist is refused beside the day.
    driver.get(base + "/insurance/clearings?date=2026-02-30")
    assert field_error(driver, "date", "date-error")


def test_the_simulator_shows_every_figure_and_its_sentences_in_the_pages_language(server, driver):
    base = server.url
    sign_in(driver, base, INSURER)
    driver.get(base + "/insurance/simulator")
    use_language(driver, "en")
    type_into(driver, "condition", "J45")
    submit_with(driver, "simulate-submit")
    visible(driver, "#figures")
    figures = {e.get_attribute("data-figure"): e.find_element(By.TAG_NAME, "td").text
               for e in driver.find_elements(By.CSS_SELECTOR, "#figures tr[data-figure]")}
    assert len(figures) == 13 and figures["totalFen"] == "¥58.00"
    assert figures["preSelfPayFen"] == "¥3.20"
    assert any("Paid by the pooled fund" in e.text for e in driver.find_elements(By.CSS_SELECTOR, "#explanation li"))
    assert_page(driver, "en")

    # An amount that is not one is refused beside its line; no result is shown.
    type_into(driver, "line-1-amount", "32 yuan")
    submit_with(driver, "simulate-submit")
    assert field_error(driver, "line-1-amount", "line-1-amount-error")
    assert not driver.find_elements(By.ID, "result")

    # A drug line without a class is refused beside the class.
    type_into(driver, "line-1-amount", "32.00")
    Select(driver.find_element(By.ID, "line-1-class")).select_by_value("")
    submit_with(driver, "simulate-submit")
    assert field_error(driver, "line-1-class", "line-1-class-error")

    # In Chinese, the sentences are Chinese.
    use_language(driver, "zh-CN")
    type_into(driver, "condition", "J45")
    submit_with(driver, "simulate-submit")
    until(driver, lambda d: language_of(d) == "zh-CN" and d.find_elements(By.CSS_SELECTOR, "#explanation li"))
    assert any("乙类" in e.text for e in driver.find_elements(By.CSS_SELECTOR, "#explanation li"))
    assert_page(driver, "zh-CN")
