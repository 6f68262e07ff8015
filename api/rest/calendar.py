"""The statutory business calendar (working days for the supervision rules): one version history
per year. Loaded from the chinese-calendar package at first start and by `ledger calendar load`;
an admin publishes a correction here (a State Council change, a provincial exception)."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from api.commanding import execute, receipt_body
from api.deps import AdminCommandDep, PrincipalDep, ServicesDep
from api.schemas.common import PROBLEMS, StandardModel
from domain.rules.calendar import YearDays
from domain.shared.commands import Receipt
from domain.shared.errors import NotFound

router = APIRouter(prefix="/calendar", tags=["supervision rules"], responses=PROBLEMS)

Year = Path(ge=2000, le=2100, description="the calendar year")


class CalendarYearIn(StandardModel):
    holidays: list[date] = Field(max_length=60, description="rest days falling Monday to Friday (节假日)")
    workdays: list[date] = Field(max_length=20, description="Saturdays and Sundays that are working days (调休)")
    source: str = Field(min_length=1, max_length=200, description="where the days come from, e.g. 国办发明电〔2025〕7号")


class CalendarYearView(BaseModel):
    year: int
    version: int
    source: str
    holidays: list[date]
    workdays: list[date]


@router.get("/{year}", response_model=CalendarYearView)
def calendar_year(_: PrincipalDep, services: ServicesDep, year: int = Year) -> CalendarYearView:
    """A year as the ledger counts it; 404 when unpublished (working days then count as calendar days)."""
    stored = services.write.calendar.year(year)
    if stored is None:
        raise NotFound(f"no calendar published for {year}: working days are counted as calendar days")
    days = stored.days()
    return CalendarYearView(year=year, version=days.version, source=stored.source, holidays=sorted(days.holidays),
                            workdays=sorted(days.workdays))


@router.put("/{year}", response_model=CalendarYearView)
def publish_calendar_year(body: CalendarYearIn, call: AdminCommandDep, year: int = Year) -> JSONResponse:
    """Publish or correct a year (admins): a new version when it differs, nothing when it does not.
    Reminders name the version of each year they counted in."""
    calendar = call.services.write.calendar
    days = YearDays.checked(year, body.holidays, body.workdays)

    def run(ctx):  # noqa: ANN001, ANN202
        receipt = calendar.publish_year(ctx, days, body.source)
        stored = calendar.year(year)
        return receipt or Receipt(stored.id, stored.version, None)  # type: ignore[union-attr]

    def respond(receipt: Receipt) -> tuple[int, dict]:
        stored = calendar.year(year)
        days_ = stored.days()  # type: ignore[union-attr]
        return 200, receipt_body(receipt, "calendar_id") | {
            "year": year, "version": days_.version, "source": stored.source,  # type: ignore[union-attr]
            "holidays": [d.isoformat() for d in sorted(days_.holidays)],
            "workdays": [d.isoformat() for d in sorted(days_.workdays)]}

    return execute(call, run, respond)
