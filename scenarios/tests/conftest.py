import pytest

from scenarios import services

SEED_INPUT = {
    "doors": 50,
    "purchase_price_per_door": 80000,
    "target_roi_percent": 25,
    "rehab_budget_per_door": 25000,
    "financing": {
        "down_payment_percent": 0.25,
        "interest_rate": 0.045,
        "term_years": 30,
    },
}


@pytest.fixture
def what_if(db):
    """A scenario with no built-in simulator: its runs wait for external workers."""
    return services.create_scenario(
        key="wholesale_analysis", name="Wholesale analysis", created_by="heimdall"
    )


@pytest.fixture
def brrrr(db):
    return services.create_scenario(
        key="brrrr_scale_doors",
        name="BRRRR Scaling: Door Count Analysis",
        description="Simulate BRRRR ROI at different door counts",
        created_by="heimdall",
    )
