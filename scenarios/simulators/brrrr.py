"""BRRRR at scale: buy, rehab, rent, refinance, repeat — across ``doors`` units.

Money is in dollars; rates and ratios are fractions (0.045 is 4.5%), except
``target_roi_percent``, which is a percentage (25 is 25%), as in the seed.

The model, per door then scaled:

* all-in cost = purchase price + rehab budget; ``total_investment`` = doors x all-in.
* the acquisition-and-rehab loan covers (1 - down payment) of it: ``total_debt``;
  the rest is the cash invested.
* after rehab the portfolio is appraised at the after-repair value (ARV) and
  refinanced at ``refinance_ltv`` of it; the new loan pays off ``total_debt`` and
  returns the difference (``cash_out_at_refinance``, negative when the new loan
  is smaller and cash must be brought in). ``cash_left_in_deal`` is what stays
  invested. Without a refinance (``refinance_ltv`` 0) the first loan stays.
* year-1 operations: rent x 12 less vacancy is the effective income; operating
  expenses are a ratio of it; NOI is what remains. Debt service is the
  amortizing payment on the loan in place after the refinance.
* returns: cash-on-cash = year-1 cash flow ÷ cash left in the deal; DSCR = NOI ÷
  debt service; the IRR and equity multiple follow the cash invested, the
  cash-out, ``hold_years`` of cash flows (rent growing at ``rent_growth_rate``,
  expenses at the same ratio) and a sale at the ARV grown by
  ``appreciation_rate``, less ``selling_cost_percent`` and the loan balance.
* feasibility: green when cash-on-cash meets the target and DSCR ≥ 1.25;
  red when year-1 cash flow is negative or DSCR < 1.0; yellow otherwise.
"""

from typing import Any

import numpy_financial as npf

from scenarios.simulators import SimulationError, register

DSCR_GREEN = 1.25
DSCR_RED = 1.0

# The seed's example input: total_investment 5,250,000 and total_debt 3,937,500.
EXAMPLE_INPUT = {
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

DEFAULTS = {
    "vacancy_rate": 0.08,
    "operating_expense_ratio": 0.45,
    "refinance_ltv": 0.75,
    "hold_years": 10,
    "appreciation_rate": 0.03,
    "rent_growth_rate": 0.02,
    "selling_cost_percent": 0.06,
    "arv_multiple": 1.25,
    "rent_to_cost_monthly": 0.01,
}

_money = {"type": "number", "minimum": 0}
_fraction = {"type": "number", "minimum": 0, "maximum": 1}
_rate = {"type": "number", "minimum": 0, "maximum": 1}

INPUT_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": [
        "doors",
        "purchase_price_per_door",
        "rehab_budget_per_door",
        "target_roi_percent",
        "financing",
    ],
    "properties": {
        "doors": {"type": "integer", "minimum": 0, "maximum": 1_000_000},
        "purchase_price_per_door": _money,
        "rehab_budget_per_door": _money,
        "target_roi_percent": {"type": "number", "minimum": 0, "maximum": 1000},
        "financing": {
            "type": "object",
            "required": ["down_payment_percent", "interest_rate", "term_years"],
            "properties": {
                "down_payment_percent": _fraction,
                "interest_rate": _rate,
                "term_years": {"type": "integer", "minimum": 1, "maximum": 50},
            },
        },
        "rent_per_door": {
            **_money,
            "description": "Monthly; default 1% of all-in cost.",
        },
        "vacancy_rate": _fraction,
        "operating_expense_ratio": _fraction,
        "after_repair_value_per_door": {
            **_money,
            "description": "Default 1.25 x (purchase + rehab).",
        },
        "refinance_ltv": _fraction,
        "refinance_rate": {**_rate, "description": "Default: financing.interest_rate."},
        "refinance_term_years": {"type": "integer", "minimum": 1, "maximum": 50},
        "hold_years": {"type": "integer", "minimum": 1, "maximum": 50},
        "appreciation_rate": {"type": "number", "minimum": -0.5, "maximum": 1},
        "rent_growth_rate": {"type": "number", "minimum": -0.5, "maximum": 1},
        "selling_cost_percent": _fraction,
    },
}


def monthly_payment(principal: float, annual_rate: float, years: int) -> float:
    if principal <= 0:
        return 0.0
    if annual_rate == 0:
        return principal / (years * 12)
    return float(-npf.pmt(annual_rate / 12, years * 12, principal))


def loan_balance(
    principal: float, annual_rate: float, years: int, after_years: int
) -> float:
    """What is still owed after ``after_years`` of monthly payments."""
    if principal <= 0 or after_years >= years:
        return 0.0
    payment = monthly_payment(principal, annual_rate, years)
    if annual_rate == 0:
        return principal - payment * after_years * 12
    return float(-npf.fv(annual_rate / 12, after_years * 12, -payment, principal))


@register("brrrr_scale_doors", input_schema=INPUT_SCHEMA)
def simulate(inputs: dict[str, Any]) -> dict[str, Any]:
    doors = inputs["doors"]
    purchase = inputs["purchase_price_per_door"]
    rehab = inputs["rehab_budget_per_door"]
    financing = inputs["financing"]
    down = financing["down_payment_percent"]
    rate = financing["interest_rate"]
    term = financing["term_years"]
    all_in = purchase + rehab

    rent = inputs.get("rent_per_door", all_in * DEFAULTS["rent_to_cost_monthly"])
    vacancy = inputs.get("vacancy_rate", DEFAULTS["vacancy_rate"])
    opex_ratio = inputs.get(
        "operating_expense_ratio", DEFAULTS["operating_expense_ratio"]
    )
    arv_per_door = inputs.get(
        "after_repair_value_per_door", all_in * DEFAULTS["arv_multiple"]
    )
    ltv = inputs.get("refinance_ltv", DEFAULTS["refinance_ltv"])
    refi_rate = inputs.get("refinance_rate", rate)
    refi_term = inputs.get("refinance_term_years", term)
    hold = inputs.get("hold_years", DEFAULTS["hold_years"])
    appreciation = inputs.get("appreciation_rate", DEFAULTS["appreciation_rate"])
    rent_growth = inputs.get("rent_growth_rate", DEFAULTS["rent_growth_rate"])
    selling = inputs.get("selling_cost_percent", DEFAULTS["selling_cost_percent"])
    target = inputs["target_roi_percent"] / 100

    if doors == 0:
        raise SimulationError("doors is 0: there is nothing to simulate.")

    total_investment = doors * all_in
    total_debt = total_investment * (1 - down)
    cash_invested = total_investment - total_debt
    arv = doors * arv_per_door
    if ltv > 0:
        loan, loan_rate, loan_term = arv * ltv, refi_rate, refi_term
    else:
        loan, loan_rate, loan_term = total_debt, rate, term
    cash_out = loan - total_debt
    cash_left = cash_invested - cash_out

    monthly_debt_service = monthly_payment(loan, loan_rate, loan_term)
    annual_debt_service = 12 * monthly_debt_service
    gross_rent = doors * rent * 12
    effective_income = gross_rent * (1 - vacancy)
    operating_expenses = effective_income * opex_ratio
    noi = effective_income - operating_expenses
    cash_flow_year_1 = noi - annual_debt_service

    cash_on_cash = cash_flow_year_1 / cash_left if cash_left > 0 else None
    dscr = noi / annual_debt_service if annual_debt_service > 0 else None

    flows = [-cash_left]
    for year in range(1, hold + 1):
        flows.append(noi * (1 + rent_growth) ** (year - 1) - annual_debt_service)
    sale_price = arv * (1 + appreciation) ** hold
    sale_proceeds = sale_price * (1 - selling) - loan_balance(
        loan, loan_rate, loan_term, hold
    )
    flows[-1] += sale_proceeds
    irr = float(npf.irr(flows)) if cash_left > 0 else None
    if irr is not None and irr != irr:  # NaN: no rate makes the flows break even
        irr = None
    distributions = max(cash_out, 0) + sum(flows[1:])
    equity_multiple = distributions / cash_invested if cash_invested > 0 else None

    feasibility, notes = _judge(cash_on_cash, dscr, cash_flow_year_1, cash_left, target)
    return {
        "total_investment": _round(total_investment),
        "total_debt": _round(total_debt),
        "cash_invested": _round(cash_invested),
        "after_repair_value": _round(arv),
        "refinance_loan": _round(loan),
        "cash_out_at_refinance": _round(cash_out),
        "cash_left_in_deal": _round(cash_left),
        "monthly_debt_service": _round(monthly_debt_service),
        "annual_debt_service": _round(annual_debt_service),
        "gross_rent_annual": _round(gross_rent),
        "operating_expenses_annual": _round(operating_expenses),
        "noi": _round(noi),
        "cash_flow_year_1": _round(cash_flow_year_1),
        "cash_on_cash_year_1": _ratio(cash_on_cash),
        "dscr": _ratio(dscr),
        "estimated_irr": _ratio(irr),
        "equity_multiple": _ratio(equity_multiple),
        "sale_proceeds": _round(sale_proceeds),
        "feasibility": feasibility,
        "notes": notes,
    }


def _judge(coc, dscr, cash_flow, cash_left, target) -> tuple[str, str]:
    if cash_flow < 0 or (dscr is not None and dscr < DSCR_RED):
        return "red", "Year-1 cash flow does not cover debt service."
    coc_met = cash_left <= 0 or (coc is not None and coc >= target)
    dscr_met = dscr is None or dscr >= DSCR_GREEN
    if coc_met and dscr_met:
        if cash_left <= 0:
            return (
                "green",
                "The refinance returns all cash invested; returns are unbounded.",
            )
        return "green", f"Cash-on-cash {coc:.1%} meets the {target:.1%} target."
    reasons = []
    if not coc_met:
        reasons.append(f"cash-on-cash {coc:.1%} is below the {target:.1%} target")
    if not dscr_met:
        reasons.append(f"DSCR {dscr:.2f} is below {DSCR_GREEN}")
    return "yellow", "Positive cash flow, but " + " and ".join(reasons) + "."


def _round(value: float) -> float:
    return round(float(value), 2)


def _ratio(value: float | None) -> float | None:
    return None if value is None else round(float(value), 4)
