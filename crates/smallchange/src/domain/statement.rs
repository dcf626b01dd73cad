//! The stretch of time a statement covers, from request text: RFC 3339 times, `from`
//! inclusive and `to` exclusive, from the beginning to the end of time when not given.

use crate::services::Error;

/// A half-open stretch of time in microseconds since the epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Period {
    from_us: i64,
    to_us: i64,
}

impl Period {
    /// Reads `from` and `to` (RFC 3339), naming the one at fault.
    pub fn parse(from: Option<&str>, to: Option<&str>) -> Result<Period, Error> {
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

fn parse_time(text: &str, param: &'static str) -> Result<i64, Error> {
    let at = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map_err(|_| Error::invalid("invalid_time", format!("{param} is an RFC 3339 time"), param))?;
    i64::try_from(at.unix_timestamp_nanos() / 1_000)
        .map_err(|_| Error::invalid("invalid_time", format!("{param} is out of range"), param))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_rfc3339_and_the_field_is_named() {
        let period = Period::parse(Some("1970-01-01T00:00:01Z"), None).unwrap();
        assert_eq!((period.from_us(), period.to_us()), (1_000_000, i64::MAX));
        let error = Period::parse(None, Some("yesterday")).unwrap_err();
        assert_eq!((error.code(), error.param()), ("invalid_time", Some("to")));
    }
}
