#!/usr/bin/env python3
"""Real-browser test of Musika Studio: headless Chromium (Debian's chromium + chromium-driver),
driven by Selenium. Usage: studio_browser_test.py URL [PLAY_SECONDS] [SCREENSHOT.png]

Loads the page, generates a clip (the audio element must get a duration and a spectrogram must
appear), starts endless play, changes a control while it plays, and reads from the page that chunks
arrived without underruns. Prints the figures as one JSON line and exits non-zero on any failure.
"""
import json
import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

url = sys.argv[1]
play_seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 8
screenshot = sys.argv[3] if len(sys.argv) > 3 else None

options = webdriver.ChromeOptions()
for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--autoplay-policy=no-user-gesture-required",
             "--window-size=1366,900", "--disable-gpu"):
    options.add_argument(flag)
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
failures = []
figures = {}
try:
    driver.get(url)
    wait = WebDriverWait(driver, 30)
    wait.until(lambda d: d.find_element(By.ID, "model").get_attribute("value"))
    if not driver.find_element(By.ID, "tempoRow").is_displayed():
        failures.append("the tempo control is hidden for a tempo-conditioned model")

    # A clip: the audio element gets a duration, the spectrogram appears, the command line is shown.
    seconds = driver.find_element(By.ID, "seconds")
    seconds.clear()
    seconds.send_keys("4")
    driver.find_element(By.ID, "generate").click()
    wait.until(lambda d: d.execute_script("return document.getElementById('player').duration > 0"))
    figures["clip_duration"] = driver.execute_script("return document.getElementById('player').duration")
    if abs(figures["clip_duration"] - 4) > 0.05:
        failures.append(f"the clip lasts {figures['clip_duration']} s, not 4")
    wait.until(lambda d: d.execute_script("return document.getElementById('spectrogram').naturalWidth > 0"))
    command = driver.find_element(By.ID, "command").text
    if "musika generate" not in command:
        failures.append(f"no command line shown: {command!r}")

    # Endless play, with a control change half-way.
    driver.find_element(By.ID, "play").click()
    wait.until(lambda d: int(d.find_element(By.ID, "chunks").text) >= 1)
    time.sleep(play_seconds / 2)
    driver.execute_script("const t = document.getElementById('tempo'); t.value = +t.value + 20;"
                          "t.dispatchEvent(new Event('change'));")
    wait.until(lambda d: int(d.find_element(By.ID, "changes").text) >= 1)
    time.sleep(play_seconds / 2)
    stats = driver.execute_script("return {chunks: stats.chunks, underruns: stats.underruns, changes: stats.changes,"
                                  " received: stats.receivedFrames / stats.sampleRate,"
                                  " played: stats.consumedFrames / stats.sampleRate}")
    figures.update(stats)
    figures["status"] = driver.find_element(By.ID, "status").text
    if stats["played"] < play_seconds * 0.7:
        failures.append(f"only {stats['played']:.1f} s played in {play_seconds} s")
    if stats["underruns"] != 0:
        failures.append(f"{stats['underruns']} underruns")
    if screenshot:
        driver.save_screenshot(screenshot)
    driver.find_element(By.ID, "play").click()  # stop
    wait.until(lambda d: "Stopped" in d.find_element(By.ID, "status").text)
except Exception as error:  # noqa: BLE001 - every failure is reported the same way
    failures.append(f"{type(error).__name__}: {error}")
finally:
    logs = [entry["message"] for entry in driver.get_log("browser")] if hasattr(driver, "get_log") else []
    driver.quit()
figures["failures"] = failures
figures["console_errors"] = [m for m in logs if "SEVERE" in m or "Error" in m][:5]
print(json.dumps(figures))
sys.exit(1 if failures else 0)
