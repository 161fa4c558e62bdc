"""The care loop in the browser: a patient finds a doctor, books and pays a follow-up and chats
with the doctor, who is signed in in a second browser; each sees the other's messages without
reloading."""

import os
import tempfile

import pytest
from selenium.webdriver.common.by import By

from harness import book_and_pay, mark, same_page, sign_in, texts, visible, wait


@pytest.fixture
def doctor(driver):
    """The doctor's browser."""
    return driver


@pytest.fixture
def patient(second):
    """The patient's browser."""
    return second


# The smallest valid PNG (1×1 pixel).
PNG = bytes([
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00, 0x01,
    0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0A, 0x49, 0x44, 0x41,
    0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00, 0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49,
    0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
])


def test_patient_books_pays_and_chats_with_the_doctor_live(server, doctor, patient):
    base = server.url
    sign_in(doctor, base, "13900000001")
    assert doctor.current_url.endswith("/queue")
    doctor_name = visible(doctor, "#doctor-name").text
    mark(doctor)

    sign_in(patient, base, "13800000001")
    book_and_pay(patient, base, doctor_name, "textPackage", top_up="200")
    consultation = visible(patient, "#consultation")
    assert consultation.get_attribute("data-state") == "waiting"

    # The doctor's queue shows the new patient without a reload.
    accept = visible(doctor, "#queue button.accept", seconds=20)
    assert same_page(doctor)
    accept.click()
    visible(doctor, "#message-text")

    # The patient's page follows the acceptance by itself, then the two talk.
    visible(patient, "#message-text", seconds=20)
    wait(patient).until(lambda d: d.find_element(By.ID, "consultation").get_attribute("data-live") == "open")
    wait(doctor).until(lambda d: d.find_element(By.ID, "consultation").get_attribute("data-live") == "open")
    mark(patient)
    mark(doctor)

    patient.find_element(By.ID, "message-text").send_keys("医生您好，我最近血压有点高。")
    patient.find_element(By.ID, "send").click()
    wait(doctor).until(lambda d: "医生您好，我最近血压有点高。" in texts(d, "#messages .text"))

    doctor.find_element(By.ID, "message-text").send_keys("请继续服药，每天早晚各测一次血压。")
    doctor.find_element(By.ID, "send").click()
    wait(patient).until(lambda d: "请继续服药，每天早晚各测一次血压。" in texts(d, "#messages .text"))

    assert same_page(patient) and same_page(doctor)
    assert "医生您好，我最近血压有点高。" in texts(patient, "#messages .mine .text")

    # A picture: a file that is not an image is refused and nothing is sent; a PNG reaches the doctor.
    with tempfile.TemporaryDirectory() as folder:
        fake = os.path.join(folder, "not-a-picture.png")
        with open(fake, "w") as file:
            file.write("this is text, not a picture")
        patient.find_element(By.ID, "message-image").send_keys(fake)
        wait(patient).until(lambda d: d.find_element(By.ID, "live-status").text not in ("", "实时连接中", "Live"))
        assert doctor.find_elements(By.CSS_SELECTOR, "#messages img") == []
        png = os.path.join(folder, "blood-pressure.png")
        with open(png, "wb") as file:
            file.write(PNG)
        patient.find_element(By.ID, "message-image").send_keys(png)
        wait(doctor).until(lambda d: d.execute_script(
            "const img = document.querySelector('#messages img'); return img && img.complete && img.naturalWidth > 0"))
    assert same_page(doctor)

    # The doctor records the diagnosis (picked by its ICD-10 code) and finishes; the patient's
    # page follows by itself, and the patient rates and thanks the doctor.
    doctor.find_element(By.ID, "diagnosis").send_keys("I10")
    doctor.find_element(By.ID, "complete").click()
    wait(doctor).until(lambda d: d.find_element(By.ID, "consultation").get_attribute("data-state") == "completed")
    visible(patient, "#rating", seconds=20)
    for field in ("efficiency", "attitude", "professionalism"):
        patient.find_element(By.CSS_SELECTOR, f"#rating input[name={field}][value='5']").click()
    patient.find_element(By.ID, "comment").send_keys("耐心细致，谢谢医生！")
    patient.find_element(By.ID, "rate").click()
    visible(patient, "#gift")
    patient.find_element(By.CSS_SELECTOR, "#gift input[name=kind][value=flowers]").click()
    patient.find_element(By.ID, "send-gift").click()
    visible(patient, "#gift")
    patient.find_element(By.CSS_SELECTOR, "a[href^='/doctors/']").click()
    wait(patient).until(lambda d: "耐心细致，谢谢医生！" in d.page_source)


def test_a_doctor_sets_a_price_in_yuan_and_a_bad_one_is_shown_next_to_its_field(server, doctor):
    sign_in(doctor, server.url, "13900000002")
    doctor.get(server.url + "/doctor/services")
    price = doctor.find_element(By.ID, "price-textPackage")
    price.clear()
    price.send_keys("12.345")
    doctor.find_element(By.CSS_SELECTOR, "#service-textPackage button[type=submit]").click()
    error = visible(doctor, "#price-textPackage-error")
    assert error.text
    assert doctor.find_element(By.ID, "price-textPackage").get_attribute("aria-invalid") == "true"
    price = doctor.find_element(By.ID, "price-textPackage")
    price.clear()
    price.send_keys("58.80")
    doctor.find_element(By.CSS_SELECTOR, "#service-textPackage button[type=submit]").click()
    wait(doctor).until(lambda d: d.find_element(By.ID, "price-textPackage").get_attribute("value") == "58.80")
    doctor.find_element(By.LINK_TEXT, doctor.find_element(By.CSS_SELECTOR, "a[href^='/doctors/']").text).click()
    assert "¥58.80" in doctor.page_source
