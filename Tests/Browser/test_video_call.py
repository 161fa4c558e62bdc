"""A real video call over WebRTC between the patient and the doctor, in two Chromium sessions with
fake camera and microphone: each receives the other's track, they hang up, and the order shows
the metered minutes."""

import time

import pytest
from selenium.webdriver.common.by import By

from harness import DESKTOP_WIDTH, accept_from_queue, book_and_pay, browser, crash, sign_in, texts, visible, wait


@pytest.fixture
def people():
    """The patient's browser (a phone) and the doctor's (a desk)."""
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


def live_consultation(server, patient, doctor, minutes):
    """The patient books and pays a video consultation of `minutes` with demo doctor 1, who accepts
    it; returns the order's address once the patient can start a call on the live page."""
    base = server.url
    sign_in(doctor, base, "13900000001")
    doctor_name = visible(doctor, "#doctor-name").text
    sign_in(patient, base, "13800000001")
    order_url = book_and_pay(patient, base, doctor_name, "videoPerMinute", minutes=minutes)
    accept_from_queue(doctor)
    visible(patient, "#call-start", seconds=20)
    wait(patient).until(lambda d: d.find_element(By.ID, "consultation").get_attribute("data-live") == "open")
    return order_url


def test_video_call_connects_both_ways_and_bills_its_minutes(server, people):
    patient, doctor = people
    order_url = live_consultation(server, patient, doctor, minutes=10)
    wait(doctor).until(lambda d: d.find_element(By.ID, "consultation").get_attribute("data-live") == "open")

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
    minutes = wait(patient).until(lambda d: texts(d, "#order-calls .minutes"))
    assert minutes == ["1"], minutes


def test_a_call_that_never_connects_costs_nothing(server, people):
    patient, doctor = people
    order_url = live_consultation(server, patient, doctor, minutes=5)

    patient.find_element(By.ID, "call-start").click()
    visible(doctor, "#call-answer", seconds=20)
    # The patient gives up before the doctor answers.
    patient.find_element(By.ID, "call-hangup").click()
    wait(patient).until(lambda d: call_state(d) == "ended")
    wait(doctor).until(lambda d: call_state(d) == "ended")
    patient.get(order_url)
    assert patient.find_elements(By.CSS_SELECTOR, "#order-calls .minutes") == []


def test_a_refused_camera_is_shown_and_the_call_costs_nothing(server):
    patient, doctor = browser(media="deny"), browser(DESKTOP_WIDTH)
    try:
        order_url = live_consultation(server, patient, doctor, minutes=5)
        wait(doctor).until(lambda d: d.find_element(By.ID, "consultation").get_attribute("data-live") == "open")
        # The patient's own call cannot start without the camera and microphone.
        patient.find_element(By.ID, "call-start").click()
        wait(patient).until(lambda d: call_state(d) == "refused")
        assert patient.find_element(By.ID, "call-status").text
        assert visible(patient, "#call-start").is_displayed()
        # The doctor calls; the patient answers, refuses the media, and the doctor sees the call end.
        doctor.find_element(By.ID, "call-start").click()
        visible(patient, "#call-answer", seconds=20).click()
        wait(patient).until(lambda d: call_state(d) == "refused")
        wait(doctor, 20).until(lambda d: call_state(d) == "ended")
        patient.get(order_url)
        assert patient.find_elements(By.CSS_SELECTOR, "#order-calls .minutes") == []
    finally:
        patient.quit()
        doctor.quit()


def test_a_dropped_connection_ends_the_call_and_its_metering(server):
    patient, doctor = browser(), browser(DESKTOP_WIDTH)
    try:
        order_url = live_consultation(server, patient, doctor, minutes=5)
        wait(doctor).until(lambda d: d.find_element(By.ID, "consultation").get_attribute("data-live") == "open")
        patient.find_element(By.ID, "call-start").click()
        visible(doctor, "#call-answer", seconds=20).click()
        for driver in (patient, doctor):
            wait(driver, 30).until(lambda d: call_state(d) == "connected")
        # The doctor's phone dies mid-call: the patient's side sees the link drop and stops the meter.
        crash(doctor)
        wait(patient, 60).until(lambda d: call_state(d) == "dropped")
        patient.get(order_url)
        minutes = wait(patient).until(lambda d: texts(d, "#order-calls .minutes"))
        assert minutes == ["1"], minutes
    finally:
        patient.quit()
        try:
            doctor.quit()
        except Exception:
            pass
