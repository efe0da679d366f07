import logging
import pytest
from sol_trainer.datasets import load_pic50


@pytest.fixture(scope="session")
def pic50_small():
    "120 real pIC50 rows from the bundled data."
    return load_pic50().sample(120, random_state=0).reset_index(drop=True)


@pytest.fixture(autouse=True)
def quiet_logs():
    logging.getLogger("sol_trainer").setLevel(logging.WARNING)


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: needs headless Chromium and the docs packages")
