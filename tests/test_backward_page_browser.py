"""The backward page in a real browser: headless Chromium steps through it with the page's own buttons,
and what the page shows is checked against the engine's gradients.

Needs Debian's `chromium` and `chromium-driver` packages (`.ci/run` installs them) and selenium (the
test extra). Set TG_SCREENSHOT=docs/img/backward_page.png to refresh the screenshot in the docs.
"""

import os
import shutil
import tempfile

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu.nn import functional as F

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")


@pytest.fixture(scope="module")
def browser():
    webdriver = pytest.importorskip(
        "selenium.webdriver", reason="selenium is not installed (pip install -e .[test])"
    )
    if CHROMIUM is None or CHROMEDRIVER is None:
        pytest.skip("Chromium or chromedriver is not installed (apt-get install chromium chromium-driver)")
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="tg-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--window-size=1700,760", f"--user-data-dir={profile}",
    ):  # fmt: skip
        options.add_argument(flag)
    try:
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    except Exception as error:  # a broken install: say why in the skip reason
        shutil.rmtree(profile, ignore_errors=True)
        pytest.skip(f"headless Chromium did not start: {str(error).splitlines()[0]}")
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def shown(driver, selector):
    return driver.find_elements("css selector", selector)


def test_value_page_steps_show_the_engine_gradients(browser, tmp_path):
    from selenium.webdriver.common.by import By

    x1, w1 = tg.Value(2.0, label="x1"), tg.Value(-3.0, label="w1")
    x2, w2 = tg.Value(0.0, label="x2"), tg.Value(1.0, label="w2")
    b = tg.Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    out = (n * n).tanh()  # n used twice
    out.label = "out"
    path = tmp_path / "neuron.html"
    tg.viz.save_html(out, path)
    out.backward()
    labels = {v.label: v for v in (x1, w1, x2, w2, b, n)}

    browser.get(path.as_uri())
    assert browser.find_element(By.ID, "tg-counter").text == "step 0 / 6"
    seen_twice = False
    for k in range(1, 7):
        browser.find_element(By.ID, "tg-next").click()
        assert browser.find_element(By.ID, "tg-counter").text == f"step {k} / 6"
        for row in shown(browser, "tr.tg-sent"):
            name = row.find_element(By.CSS_SELECTOR, "td").text.split(" = ")[0]
            local = float(
                row.find_element(By.CSS_SELECTOR, ".tg-local [data-value]").get_attribute("data-value")
            )
            sent = row.find_element(By.CSS_SELECTOR, ".tg-contribution [data-value]")
            upstream = float(
                browser.find_element(By.CSS_SELECTOR, "#tg-upstream [data-value]").get_attribute("data-value")
            )
            assert float(sent.get_attribute("data-value")) == local * upstream
            assert abs(float(sent.text) - local * upstream) <= 1e-4 * max(1, abs(local * upstream))
            seen_twice |= "contribution no. 2" in row.text
            if name == "n":
                assert k == 2  # step 1 is tanh; in step 2, n * n sends n its two contributions
        if k == 6:
            assert "Backward is done" in browser.find_element(By.ID, "tg-done").text
    assert seen_twice
    # at the end every box's grad is the engine's .grad
    for box in shown(browser, "g.tg-node"):
        title = box.find_element(By.CSS_SELECTOR, ".title").text.split(" = ")[0]
        if title in labels:
            grad = box.find_element(By.CSS_SELECTOR, ".tg-grad").get_attribute("data-value")
            assert float(grad) == labels[title].grad, title
    # and back to the start: no gradients yet
    browser.find_element(By.ID, "tg-first").click()
    assert all(g.text == "grad: none yet" for g in shown(browser, ".tg-grad"))
    browser.find_element(By.ID, "tg-last").click()
    browser.find_element(By.ID, "tg-prev").click()
    assert browser.find_element(By.ID, "tg-counter").text == "step 5 / 6"
    browser.find_element(By.ID, "tg-first").click()
    browser.find_element(By.ID, "tg-next").click()
    browser.find_element(By.ID, "tg-next").click()  # the step where n gets two contributions
    screenshot = os.environ.get("TG_SCREENSHOT") or str(tmp_path / "page.png")
    assert browser.save_screenshot(screenshot)
    assert open(screenshot, "rb").read(8) == b"\x89PNG\r\n\x1a\n"


def test_tensor_page_shows_the_engine_gradients(browser, tmp_path):
    from selenium.webdriver.common.by import By

    g = tg.Generator(3)
    C = tg.randn(5, 2, generator=g, requires_grad=True)
    W = tg.randn(4, 3, generator=g, requires_grad=True)
    b = tg.randn(3, generator=g, requires_grad=True)
    X, Y = tg.randint(0, 5, (6, 2), generator=g), tg.randint(0, 3, (6,), generator=g)
    loss = F.cross_entropy((C[X].view(6, -1) @ W + b).tanh(), Y)
    params = {"C": C, "W": W, "b": b}
    path = tmp_path / "mlp.html"
    tg.viz.save_html(loss, path, params=params)
    loss.backward()

    browser.get(path.as_uri())
    browser.find_element(By.ID, "tg-last").click()
    for box in shown(browser, "g.tg-node"):
        name = box.find_element(By.CSS_SELECTOR, ".title").text
        if name in params:
            box.click()  # the node panel shows its gradient in full (a small matrix)
            cells = shown(browser, "#tg-node tr:nth-child(2) table.matrix td")
            values = np.array([float(c.get_attribute("data-value")) for c in cells])
            np.testing.assert_array_equal(values, params[name].grad.data.ravel().astype(np.float64))
            shown_text = np.array([float(c.text) for c in cells])
            np.testing.assert_allclose(shown_text, values, rtol=5e-3, atol=1e-3)  # shown with 3 digits
