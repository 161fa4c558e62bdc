"""The browser suite's harness: a `medloop serve` of its own on a fresh SQLite database (the demo
world seeds itself), and headless Chromium sessions, one per person, driven by selenium."""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PASSWORD = "medloop-demo"
PHONE_WIDTH, DESKTOP_WIDTH = 375, 1280


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """`medloop serve` on 127.0.0.1 and a fresh database, stopped by its PID."""

    def __init__(self):
        self.work = tempfile.mkdtemp(prefix="medloop-browser-")
        self.port = int(os.environ.get("MEDLOOP_BROWSER_PORT", free_port()))
        self.url = f"http://127.0.0.1:{self.port}"
        binary = os.environ.get("MEDLOOP_BIN", os.path.join(ROOT, ".build/debug/medloop"))
        env = dict(os.environ, MEDLOOP_DB_PATH=os.path.join(self.work, "medloop.sqlite"),
                   MEDLOOP_DATA_DIR=os.path.join(self.work, "data"), MEDLOOP_PORT=str(self.port),
                   MEDLOOP_LOG_LEVEL="warning")
        env.pop("DATABASE_URL", None)
        self.log = open(os.path.join(self.work, "server.log"), "w")
        self.process = subprocess.Popen([binary, "serve"], env=env, stdout=self.log, stderr=subprocess.STDOUT, cwd=self.work)
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/health/ready", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError("medloop serve did not become ready; see " + self.log.name)

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()

    def clean(self):
        shutil.rmtree(self.work, ignore_errors=True)


def browser(width=PHONE_WIDTH, language="zh-CN"):
    """A headless Chromium with fake camera and microphone, `width` pixels wide."""
    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                 "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                 # Two browsers on one machine reach each other by their host addresses.
                 "--disable-features=WebRtcHideLocalIpsWithMdns", "--allow-loopback-in-peer-connection",
                 f"--window-size={width},900", f"--lang={language}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # Headless Chromium ignores --lang: the language it asks pages for is a preference.
    options.add_experimental_option("prefs", {"intl.accept_languages": language})
    service = Service(executable_path=os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"))
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_window_size(width, 900)
    driver.implicitly_wait(0)
    return driver


def wait(driver, seconds=15):
    """A wait that looks again when the page it looked at was replaced meanwhile."""
    return WebDriverWait(driver, seconds, poll_frequency=0.1, ignored_exceptions=[StaleElementReferenceException])


def sign_in(driver, base, phone):
    driver.get(base + "/sign-in")
    driver.find_element(By.ID, "phone").send_keys(phone)
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "form[action='/sign-in'] button[type=submit]").click()
    wait(driver).until(lambda d: "/sign-in" not in d.current_url)


def visible(driver, selector, seconds=15):
    return wait(driver, seconds).until(EC.visibility_of_element_located((By.CSS_SELECTOR, selector)))


def texts(driver, selector):
    return [element.text for element in driver.find_elements(By.CSS_SELECTOR, selector)]


def book_and_pay(patient, base, doctor_name, service, minutes=None):
    """The patient finds `doctor_name`, books `service` on their prior visit, tops up and pays;
    returns on the consultation page."""
    patient.get(base + "/doctors")
    patient.find_element(By.ID, "q").send_keys(doctor_name)
    patient.find_element(By.CSS_SELECTOR, "form.search button[type=submit]").click()
    visible(patient, "#results")
    patient.find_element(By.LINK_TEXT, doctor_name).click()
    visible(patient, "#book")
    patient.find_element(By.CSS_SELECTOR, f"#book input[name=service][value={service}]").click()
    from selenium.webdriver.support.ui import Select
    visits = Select(patient.find_element(By.ID, "encounterId"))
    assert len(visits.options) > 1, "the demo patient has a prior in-person visit"
    visits.select_by_index(1)
    if minutes is not None:
        patient.find_element(By.ID, "prepaidMinutes").send_keys(str(minutes))
    patient.find_element(By.CSS_SELECTOR, "#book button[type=submit]").click()
    visible(patient, "#order-state")
    order_url = patient.current_url
    patient.find_element(By.ID, "top-up-link").click()
    patient.find_element(By.ID, "amount").send_keys("500")
    patient.find_element(By.ID, "top-up").click()
    visible(patient, "#pay").click()
    visible(patient, "#consultation")
    return order_url


def accept_from_queue(doctor):
    """The doctor accepts the first waiting patient from the queue page (which updates by itself)."""
    accept = visible(doctor, "#queue button.accept", seconds=20)
    accept.click()
    visible(doctor, "#consultation")
