//! Times as a person reads them: in the tenant's fixed UTC offset (the wallet policy's
//! `month_utc_offset_minutes`, KST by default), to the minute, with the zone named —
//! `2026-12-03 15:42 KST`, or `UTC+05:30` for offsets without a common name.

/// `at_us` (microseconds since the Unix epoch) in the zone `offset_minutes` east of UTC.
pub fn local_time(at_us: i64, offset_minutes: i32) -> String {
    let local_s = at_us.div_euclid(1_000_000) + i64::from(offset_minutes) * 60;
    let at = time::OffsetDateTime::from_unix_timestamp(local_s).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} {}",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        zone_name(offset_minutes)
    )
}

/// `KST` for +09:00, `UTC` for 0, else `UTC±hh:mm`.
pub fn zone_name(offset_minutes: i32) -> String {
    match offset_minutes {
        540 => "KST".into(),
        0 => "UTC".into(),
        _ => {
            let sign = if offset_minutes < 0 { '-' } else { '+' };
            let minutes = offset_minutes.unsigned_abs();
            format!("UTC{sign}{:02}:{:02}", minutes / 60, minutes % 60)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-12-03 06:42:59 UTC.
    const AT_US: i64 = 1_796_280_179_000_000;

    #[test]
    fn kst_is_nine_hours_ahead_to_the_minute() {
        assert_eq!(local_time(AT_US, 540), "2026-12-03 15:42 KST");
        assert_eq!(local_time(AT_US, 0), "2026-12-03 06:42 UTC");
    }

    #[test]
    fn other_offsets_are_named_by_their_distance_from_utc() {
        assert_eq!(local_time(AT_US, 330), "2026-12-03 12:12 UTC+05:30");
        assert_eq!(local_time(AT_US, -420), "2026-12-02 23:42 UTC-07:00");
    }

    #[test]
    fn the_date_turns_over_at_local_midnight() {
        // 2026-12-03 15:00 UTC is already the 4th in Seoul.
        let afternoon_utc = AT_US + (8 * 3600 + 17 * 60 + 1) * 1_000_000;
        assert_eq!(local_time(afternoon_utc, 540), "2026-12-04 00:00 KST");
    }
}
