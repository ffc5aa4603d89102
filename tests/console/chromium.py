"""Debian's headless Chromium through Selenium, shared by the console's browser tests: the driver
(the ``browser`` fixture of ``tests/console/conftest.py``), waiting for what a page shows, and
where screenshots go (``tests/artifacts/``, git-ignored; CI keeps them).

Selenium is synchronous: async tests call these in a thread (``asyncio.to_thread``).
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any, Iterator

import pytest

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
ARGUMENTS = ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,800", "--lang=zh-CN")


def chromium() -> Iterator[Any]:
    """A headless Chromium at 1280×800; skips when it is missing, except where
    ``GOVBOT_REQUIRE_BROWSER`` is set (CI installs it: there a skip would hide a failure)."""
    if not (CHROMIUM and DRIVER):
        missing = "Debian's chromium and chromium-driver are not installed"
        if os.environ.get("GOVBOT_REQUIRE_BROWSER"):
            pytest.fail(missing)
        pytest.skip(missing)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ARGUMENTS:
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.implicitly_wait(0)
    try:
        yield driver
    finally:
        driver.quit()


def wait_for(driver: Any, css: str, text: str = "", seconds: float = 5.0) -> Any:
    """The visible element at ``css`` once it shows ``text``; raises TimeoutException after ``seconds``."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as shown
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(driver, seconds)
    if text:
        wait.until(shown.text_to_be_present_in_element((By.CSS_SELECTOR, css), text))
    return wait.until(shown.visibility_of_element_located((By.CSS_SELECTOR, css)))


def click(driver: Any, css: str, seconds: float = 5.0) -> None:
    """Clicks the element at ``css``, found again if a live update replaced it in between."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    def clicked(d: Any) -> bool:
        d.find_element(By.CSS_SELECTOR, css).click()
        return True

    WebDriverWait(driver, seconds, ignored_exceptions=(StaleElementReferenceException,)).until(clicked)


def screenshot(driver: Any, name: str) -> Path:
    """Saves what the browser shows as ``tests/artifacts/<name>.png``."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    driver.save_screenshot(str(path))
    return path
