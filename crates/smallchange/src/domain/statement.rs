//! The stretch of time a statement or a report covers, from request text: RFC 3339 times,
//! `from` inclusive and `to` exclusive, from the beginning to the end of time when not given
//! (a statement), or bounded, with a day in the tenant's zone for what is not given (a
//! report); or a calendar month (`2026-11`) in the tenant's zone, as the wallet's activity
//! page asks.

use super::Invalid;

/// A half-open stretch of time in microseconds since the epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Period {
    from_us: i64,
    to_us: i64,
}

impl Period {
    /// Reads `from` and `to` (RFC 3339), naming the one at fault.
    pub fn parse(from: Option<&str>, to: Option<&str>) -> Result<Period, Invalid> {
        let from_us = from.map(|t| parse_time(t, "from")).transpose()?.unwrap_or(0);
        let to_us = to.map(|t| parse_time(t, "to")).transpose()?.unwrap_or(i64::MAX);
        Ok(Period { from_us, to_us })
    }

    /// The day that `at_us` falls in, from its midnight to the next, in the zone
    /// `offset_minutes` east of UTC (a fixed offset: no daylight saving).
    pub fn day_containing(at_us: i64, offset_minutes: i32) -> Period {
        let offset_us = i64::from(offset_minutes) * 60 * 1_000_000;
        let from_us = (at_us + offset_us).div_euclid(DAY_US) * DAY_US - offset_us;
        Period { from_us, to_us: from_us + DAY_US }
    }

    /// The period `bounds` ask for, each bound not given taken from `default`: refused
    /// unless `from` comes before `to` and the two are at most `span_max_us` apart.
    pub fn bounded(bounds: Bounds, default: Period, span_max_us: i64) -> Result<Period, Invalid> {
        let from_us = bounds.from_us.unwrap_or(default.from_us);
        let to_us = bounds.to_us.unwrap_or(default.to_us);
        if from_us >= to_us {
            let param = if bounds.to_us.is_some() { "to" } else { "from" };
            return Err(Invalid::new("invalid_period", "from must come before to (to is exclusive)", param));
        }
        if to_us.saturating_sub(from_us) > span_max_us {
            let days = span_max_us / DAY_US;
            let message = format!("a period spans at most {days} days: ask for several shorter ones");
            return Err(Invalid::new("period_too_long", message, "to"));
        }
        Ok(Period { from_us, to_us })
    }

    /// The first microsecond in the period.
    pub fn from_us(&self) -> i64 {
        self.from_us
    }

    /// The first microsecond after the period.
    pub fn to_us(&self) -> i64 {
        self.to_us
    }
}

/// A day in microseconds.
pub const DAY_US: i64 = 86_400 * 1_000_000;

/// The bounds a request gave, each RFC 3339 or absent: a [`Period`] once the absent ones
/// are filled in ([`Period::bounded`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Bounds {
    from_us: Option<i64>,
    to_us: Option<i64>,
}

impl Bounds {
    /// Reads `from` and `to` (RFC 3339), naming the one at fault.
    pub fn parse(from: Option<&str>, to: Option<&str>) -> Result<Bounds, Invalid> {
        let from_us = from.map(|t| parse_time(t, "from")).transpose()?;
        let to_us = to.map(|t| parse_time(t, "to")).transpose()?;
        Ok(Bounds { from_us, to_us })
    }
}

impl From<Period> for Bounds {
    /// Both bounds given: exactly `period`.
    fn from(period: Period) -> Bounds {
        Bounds { from_us: Some(period.from_us), to_us: Some(period.to_us) }
    }
}

/// The periods an operator picks on the console's overview, all in the tenant's zone:
/// today, the last 7 or 30 days (today included, so the figures of the day are never left
/// out), or a calendar month. Written in a link as `today`, `7d`, `30d` or `2026-11`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Span {
    Today,
    /// The last so many days, one of [`Span::DAYS`].
    Days(u8),
    Month(Month),
}

impl Span {
    /// The lengths of [`Span::Days`] offered, in days.
    pub const DAYS: [u8; 2] = [7, 30];

    /// Reads `today`, `7d`, `30d` or `YYYY-MM`, naming `period` as the field at fault.
    pub fn parse(text: &str) -> Result<Span, Invalid> {
        let invalid = || Invalid::new("invalid_period", "period is today, 7d, 30d or a month (YYYY-MM)", "period");
        if text == "today" {
            return Ok(Span::Today);
        }
        if let Some(days) = text.strip_suffix('d') {
            return Span::DAYS.into_iter().find(|d| d.to_string() == days).map(Span::Days).ok_or_else(invalid);
        }
        Month::parse(text).map(Span::Month).map_err(|_| invalid())
    }

    /// The stretch of time it covers at `now_us`, in the zone `offset_minutes` east of UTC.
    pub fn period(self, now_us: i64, offset_minutes: i32) -> Period {
        let today = Period::day_containing(now_us, offset_minutes);
        match self {
            Span::Today => today,
            Span::Days(days) => Period { from_us: today.to_us - i64::from(days) * DAY_US, to_us: today.to_us },
            Span::Month(month) => month.period(offset_minutes),
        }
    }
}

impl std::fmt::Display for Span {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Span::Today => f.write_str("today"),
            Span::Days(days) => write!(f, "{days}d"),
            Span::Month(month) => write!(f, "{month}"),
        }
    }
}

/// A calendar month, read as `YYYY-MM`; its period depends on the zone it is read in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Month {
    year: i32,
    month: u8,
}

impl Month {
    /// Reads `YYYY-MM` (years 1970 to 9999), naming `month` as the field at fault.
    pub fn parse(text: &str) -> Result<Month, Invalid> {
        let invalid = || Invalid::new("invalid_month", "month is YYYY-MM, e.g. 2026-11", "month");
        let (year, month) = text.split_once('-').ok_or_else(invalid)?;
        if year.len() != 4 || month.len() != 2 || !(year.bytes().chain(month.bytes())).all(|b| b.is_ascii_digit()) {
            return Err(invalid());
        }
        let (year, month): (i32, u8) = (year.parse().map_err(|_| invalid())?, month.parse().map_err(|_| invalid())?);
        if !(1970..=9999).contains(&year) || !(1..=12).contains(&month) {
            return Err(invalid());
        }
        Ok(Month { year, month })
    }

    /// The month that `at_us` falls in, in the zone `offset_minutes` east of UTC.
    pub fn containing(at_us: i64, offset_minutes: i32) -> Month {
        let local_s = at_us.div_euclid(1_000_000) + i64::from(offset_minutes) * 60;
        let at = time::OffsetDateTime::from_unix_timestamp(local_s).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
        Month { year: at.year(), month: u8::from(at.month()) }
    }

    pub fn year(self) -> i32 {
        self.year
    }

    /// 1 to 12.
    pub fn number(self) -> u8 {
        self.month
    }

    pub fn previous(self) -> Month {
        match self.month {
            1 => Month { year: self.year - 1, month: 12 },
            m => Month { year: self.year, month: m - 1 },
        }
    }

    pub fn next(self) -> Month {
        match self.month {
            12 => Month { year: self.year + 1, month: 1 },
            m => Month { year: self.year, month: m + 1 },
        }
    }

    /// From its first to the next month's first midnight, in the zone `offset_minutes` east
    /// of UTC.
    pub fn period(self, offset_minutes: i32) -> Period {
        Period { from_us: self.start_us(offset_minutes), to_us: self.next().start_us(offset_minutes) }
    }

    fn start_us(self, offset_minutes: i32) -> i64 {
        let month = time::Month::try_from(self.month).unwrap_or(time::Month::January);
        let first = time::Date::from_calendar_date(self.year, month, 1).unwrap_or(time::Date::MIN);
        let local_s = first.midnight().assume_utc().unix_timestamp();
        (local_s - i64::from(offset_minutes) * 60) * 1_000_000
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

fn parse_time(text: &str, param: &'static str) -> Result<i64, Invalid> {
    let at = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map_err(|_| Invalid::new("invalid_time", format!("{param} is an RFC 3339 time"), param))?;
    i64::try_from(at.unix_timestamp_nanos() / 1_000)
        .map_err(|_| Invalid::new("invalid_time", format!("{param} is out of range"), param))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_rfc3339_and_the_field_is_named() {
        let period = Period::parse(Some("1970-01-01T00:00:01Z"), None).unwrap();
        assert_eq!((period.from_us(), period.to_us()), (1_000_000, i64::MAX));
        let error = Period::parse(None, Some("yesterday")).unwrap_err();
        assert_eq!((error.code, error.param.as_str()), ("invalid_time", "to"));
    }

    #[test]
    fn a_day_runs_from_local_midnight_to_the_next() {
        // 2026-11-10 03:00 UTC is noon in Seoul: the day began at 2026-11-09 15:00 UTC.
        let noon_kst = 1_794_279_600_000_000;
        let day = Period::day_containing(noon_kst, 540);
        assert_eq!((day.from_us(), day.to_us()), (noon_kst - 12 * 3_600_000_000, noon_kst + 12 * 3_600_000_000));
        assert_eq!(Period::day_containing(day.from_us(), 540), day);
        assert_eq!(Period::day_containing(day.from_us() - 1, 540).to_us(), day.from_us());
        // West of UTC, and before 1970.
        let utc_minus_7 = Period::day_containing(0, -420);
        assert_eq!((utc_minus_7.from_us(), utc_minus_7.to_us()), (-17 * 3_600_000_000, 7 * 3_600_000_000));
    }

    #[test]
    fn a_bounded_period_fills_in_and_checks_its_bounds() {
        let today = Period::day_containing(1_794_279_600_000_000, 540);
        let year = 366 * DAY_US;
        assert_eq!(Period::bounded(Bounds::default(), today, year), Ok(today));
        let from_yesterday = Bounds::parse(Some("2026-11-08T15:00:00Z"), None).unwrap();
        let period = Period::bounded(from_yesterday, today, year).unwrap();
        assert_eq!((period.from_us(), period.to_us()), (today.from_us() - DAY_US, today.to_us()));
        let backwards = Bounds::parse(Some("2026-11-10T00:00:00Z"), Some("2026-11-10T00:00:00Z")).unwrap();
        let error = Period::bounded(backwards, today, year).unwrap_err();
        assert_eq!((error.code, error.param.as_str()), ("invalid_period", "to"));
        let after_today = Bounds::parse(Some("2026-11-11T00:00:00Z"), None).unwrap();
        assert_eq!(Period::bounded(after_today, today, year).unwrap_err().param, "from");
        let long = Bounds::parse(Some("2025-01-01T00:00:00Z"), Some("2026-01-02T00:00:01Z")).unwrap();
        assert_eq!(Period::bounded(long, today, year).unwrap_err().code, "period_too_long");
        let leap_year = Bounds::parse(Some("2024-01-01T00:00:00+09:00"), Some("2025-01-01T00:00:00+09:00")).unwrap();
        assert!(Period::bounded(leap_year, today, year).is_ok());
        assert_eq!(Bounds::parse(Some("today"), None).unwrap_err().code, "invalid_time");
    }

    #[test]
    fn a_month_is_read_and_covers_its_days_in_the_zone() {
        let november = Month::parse("2026-11").unwrap();
        assert_eq!(november.to_string(), "2026-11");
        assert_eq!(
            (november.previous().to_string(), november.next().next().to_string()),
            ("2026-10".into(), "2027-01".into())
        );
        // 2026-11-01 00:00 KST is 2026-10-31 15:00 UTC.
        let kst = november.period(540);
        assert_eq!(kst.from_us(), 1_793_491_200_000_000 - 9 * 3_600_000_000);
        assert_eq!(kst.to_us() - kst.from_us(), 30 * 86_400_000_000);
        assert_eq!(Month::containing(kst.from_us(), 540), november);
        assert_eq!(Month::containing(kst.from_us() - 1, 540).to_string(), "2026-10");
        for bad in ["2026-13", "2026-00", "26-11", "2026-1", "2026/11", "", "1969-12", "２０２６-11"] {
            assert_eq!(Month::parse(bad).unwrap_err().code, "invalid_month", "{bad}");
        }
    }

    #[test]
    fn a_span_is_read_and_ends_with_today() {
        // 2026-11-10 03:00 UTC, noon in Seoul.
        let noon = 1_794_279_600_000_000;
        let today = Period::day_containing(noon, 540);
        for (text, from_us) in
            [("today", today.from_us()), ("7d", today.to_us() - 7 * DAY_US), ("30d", today.to_us() - 30 * DAY_US)]
        {
            let span = Span::parse(text).unwrap();
            assert_eq!(span.to_string(), text);
            assert_eq!(span.period(noon, 540), Period { from_us, to_us: today.to_us() }, "{text}");
        }
        let november = Span::parse("2026-11").unwrap();
        assert_eq!(november.period(noon, 540), Month::parse("2026-11").unwrap().period(540));
        assert_eq!(november.to_string(), "2026-11");
        for bad in ["", "week", "0d", "8d", "-7d", "d", "2026-13", "TODAY", "7"] {
            assert_eq!(Span::parse(bad).unwrap_err().code, "invalid_period", "{bad}");
        }
        let bounds = Bounds::from(today);
        assert_eq!(Period::bounded(bounds, Period::day_containing(0, 0), DAY_US).unwrap(), today);
    }
}
