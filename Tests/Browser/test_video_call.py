"""A real video call over WebRTC between the patient and the doctor, in two Chromium sessions with
fake camera and microphone: each receives the other's track, they hang up, and the order shows
the metered minutes."""

import time

import pytest
from selenium.webdriver.common.by import By

from harness import DESKTOP_WIDTH, Server, accept_from_queue, book_and_pay, browser, sign_in, visible, wait


@pytest.fixture(scope="module")
def server():
    running = Server()
    yield running
    running.stop()
    running.clean()


@pytest.fixture
def people():
    patient, doctor = browser(), browser(DESKTOP_WIDTH)
    yield patient, doctor
    patient.quit()
    doctor.quit()


REMOTE_VIDEO = """
const video = document.getElementById('remote-video');
const stream = video && video.srcObject;
return stream ? stream.getTracks().filter(t => t.readyState === 'live').map(t => t.kind).sort().join(',') : '';
"""


def call_state(driver):
    return driver.find_element(By.ID, "call").get_attribute("data-call-state")


def test_video_call_connects_both_ways_and_bills_its_minutes(server, people):
    patient, doctor = people
    base = server.url
    sign_in(doctor, base, "13900000001")
    doctor_name = visible(doctor, "#doctor-name").text
    sign_in(patient, base, "13800000001")
    order_url = book_and_pay(patient, base, doctor_name, "videoPerMinute", minutes=10)
    accept_from_queue(doctor)

    visible(patient, "#call-start", seconds=20)
    for driver in (patient, doctor):
        wait(driver).until(lambda d: d.find_element(By.ID, "consultation").get_attribute("data-live") == "open")

    patient.find_element(By.ID, "call-start").click()
    visible(doctor, "#call-answer", seconds=20).click()

    for driver in (patient, doctor):
        wait(driver, 30).until(lambda d: call_state(d) == "connected")
        wait(driver, 30).until(lambda d: d.execute_script(REMOTE_VIDEO) == "audio,video")
        wait(driver, 30).until(lambda d: d.execute_script(
            "return document.getElementById('remote-video').videoWidth") > 0)

    time.sleep(1.5)
    patient.find_element(By.ID, "call-hangup").click()
    wait(patient).until(lambda d: call_state(d) == "ended")
    wait(doctor).until(lambda d: call_state(d) == "ended")

    patient.get(order_url)
    minutes = wait(patient).until(lambda d: [e.text for e in d.find_elements(By.CSS_SELECTOR, "#order-calls .minutes")])
    assert minutes == ["1"], minutes


def test_a_call_that_never_connects_costs_nothing(server, people):
    patient, doctor = people
    base = server.url
    sign_in(doctor, base, "13900000001")
    doctor_name = visible(doctor, "#doctor-name").text
    sign_in(patient, base, "13800000001")
    order_url = book_and_pay(patient, base, doctor_name, "videoPerMinute", minutes=5)
    accept_from_queue(doctor)
    visible(patient, "#call-start", seconds=20)
    wait(patient).until(lambda d: d.find_element(By.ID, "consultation").get_attribute("data-live") == "open")

    patient.find_element(By.ID, "call-start").click()
    visible(doctor, "#call-answer", seconds=20)
    # The patient gives up before the doctor answers.
    patient.find_element(By.ID, "call-hangup").click()
    wait(patient).until(lambda d: call_state(d) == "ended")
    wait(doctor).until(lambda d: call_state(d) == "ended")
    patient.get(order_url)
    assert patient.find_elements(By.CSS_SELECTOR, "#order-calls .minutes") == []
