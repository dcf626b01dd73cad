//! The stretch of time a statement covers, from request text: RFC 3339 times, `from`
//! inclusive and `to` exclusive, from the beginning to the end of time when not given; or a
//! calendar month (`2026-11`) in the tenant's zone, as the wallet's activity page asks.

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

    /// The first microsecond in the period.
    pub fn from_us(&self) -> i64 {
        self.from_us
    }

    /// The first microsecond after the period.
    pub fn to_us(&self) -> i64 {
        self.to_us
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
}
