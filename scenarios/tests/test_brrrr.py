"""The BRRRR model against hand-computed values."""

import pytest

from scenarios.simulators import SimulationError, brrrr
from scenarios.tests.conftest import SEED_INPUT


def amortized_monthly(principal, annual_rate, years):
    """The textbook formula P*r / (1 - (1 + r)^-n), written out independently."""
    r, n = annual_rate / 12, years * 12
    if r == 0:
        return principal / n
    return principal * r / (1 - (1 + r) ** -n)


def test_seed_example_totals():
    result = brrrr.simulate(SEED_INPUT)

    assert result["total_investment"] == 5_250_000
    assert result["total_debt"] == 3_937_500


def test_every_output_against_hand_computed_values():
    result = brrrr.simulate(SEED_INPUT)

    # Per door: all-in 105,000; ARV 1.25 x that; rent 1% of it a month.
    arv = 50 * 105_000 * 1.25
    loan = arv * 0.75
    cash_invested = 5_250_000 - 3_937_500
    cash_left = cash_invested - (loan - 3_937_500)
    monthly = amortized_monthly(loan, 0.045, 30)
    gross = 50 * 1_050 * 12
    effective = gross * (1 - 0.08)
    noi = effective * (1 - 0.45)
    cash_flow = noi - 12 * monthly

    assert result["cash_invested"] == pytest.approx(1_312_500)
    assert result["after_repair_value"] == pytest.approx(6_562_500)
    assert result["refinance_loan"] == pytest.approx(4_921_875)
    assert result["cash_out_at_refinance"] == pytest.approx(984_375)
    assert (
        result["cash_left_in_deal"]
        == pytest.approx(cash_left)
        == pytest.approx(328_125)
    )
    assert result["monthly_debt_service"] == pytest.approx(monthly, abs=0.01)
    assert result["monthly_debt_service"] == pytest.approx(24_938.42, abs=0.01)
    assert result["annual_debt_service"] == pytest.approx(12 * monthly, abs=0.01)
    assert result["gross_rent_annual"] == pytest.approx(630_000)
    assert result["noi"] == pytest.approx(noi, abs=0.01) == pytest.approx(318_780)
    assert result["cash_flow_year_1"] == pytest.approx(cash_flow, abs=0.01)
    assert result["cash_on_cash_year_1"] == pytest.approx(
        cash_flow / cash_left, abs=1e-4
    )
    assert result["dscr"] == pytest.approx(noi / (12 * monthly), abs=1e-4)
    assert result["feasibility"] == "yellow"
    assert "below the 25.0% target" in result["notes"]


def test_irr_and_equity_multiple_follow_the_cash_flows():
    inputs = {
        **SEED_INPUT,
        "hold_years": 2,
        "rent_growth_rate": 0,
        "appreciation_rate": 0,
    }
    result = brrrr.simulate(inputs)

    loan = 4_921_875
    monthly = amortized_monthly(loan, 0.045, 30)
    r = 0.045 / 12
    balance = loan * (1 + r) ** 24 - monthly * ((1 + r) ** 24 - 1) / r
    cash_flow = 318_780 - 12 * monthly
    sale = 6_562_500 * (1 - 0.06) - balance
    flows = [-328_125, cash_flow, cash_flow + sale]
    npv_at_irr = sum(
        f / (1 + result["estimated_irr"]) ** t for t, f in enumerate(flows)
    )

    assert result["sale_proceeds"] == pytest.approx(sale, abs=0.01)
    assert abs(npv_at_irr) < 100  # rounded to 4 decimals
    assert result["equity_multiple"] == pytest.approx(
        (984_375 + 2 * cash_flow + sale) / 1_312_500, abs=1e-4
    )


def test_green_when_targets_are_met():
    inputs = {**SEED_INPUT, "rent_per_door": 1_600, "target_roi_percent": 20}

    result = brrrr.simulate(inputs)

    assert result["feasibility"] == "green"
    assert result["cash_on_cash_year_1"] >= 0.20
    assert result["dscr"] >= 1.25


def test_red_when_rent_does_not_cover_debt():
    result = brrrr.simulate({**SEED_INPUT, "rent_per_door": 600})

    assert result["feasibility"] == "red"
    assert result["cash_flow_year_1"] < 0


def test_zero_doors_is_a_clear_error():
    with pytest.raises(SimulationError, match="doors is 0"):
        brrrr.simulate({**SEED_INPUT, "doors": 0})


def test_all_cash_purchase():
    inputs = {
        **SEED_INPUT,
        "financing": {**SEED_INPUT["financing"], "down_payment_percent": 1.0},
    }

    result = brrrr.simulate(inputs)

    assert result["total_debt"] == 0
    assert result["cash_invested"] == 5_250_000
    assert result["cash_out_at_refinance"] == pytest.approx(4_921_875)
    assert result["cash_left_in_deal"] == pytest.approx(328_125)


def test_all_cash_without_refinance_has_no_debt_service():
    inputs = {
        **SEED_INPUT,
        "refinance_ltv": 0,
        "financing": {**SEED_INPUT["financing"], "down_payment_percent": 1.0},
    }

    result = brrrr.simulate(inputs)

    assert result["annual_debt_service"] == 0
    assert result["dscr"] is None
    assert result["cash_flow_year_1"] == pytest.approx(318_780)
    assert result["cash_on_cash_year_1"] == pytest.approx(318_780 / 5_250_000, abs=1e-4)


def test_zero_interest_rate():
    inputs = {
        **SEED_INPUT,
        "financing": {**SEED_INPUT["financing"], "interest_rate": 0},
    }

    result = brrrr.simulate(inputs)

    assert result["monthly_debt_service"] == pytest.approx(4_921_875 / 360, abs=0.01)
    assert result["estimated_irr"] is not None


def test_refinance_that_returns_everything_is_unbounded_not_an_error():
    result = brrrr.simulate(
        {**SEED_INPUT, "after_repair_value_per_door": 200_000, "rent_per_door": 2_500}
    )

    assert result["cash_left_in_deal"] < 0
    assert result["cash_on_cash_year_1"] is None
    assert result["estimated_irr"] is None
    assert result["feasibility"] == "green"
    assert "unbounded" in result["notes"]
