//! Bank cut-off times: the moments of the day at which a tenant's waiting bank payouts are
//! gathered into a batch, as banks process files at fixed times. Written `"HH:MM"` in the
//! tenant's local time (the wallet policy's `month_utc_offset_minutes`).

const DAY_S: i64 = 86_400;

/// Minutes after midnight of `"HH:MM"`, if it is a time of day.
pub fn parse(text: &str) -> Option<i64> {
    let (hours, minutes) = text.split_once(':')?;
    let all_digits = |s: &str| s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(hours) || !all_digits(minutes) {
        return None;
    }
    let (hours, minutes): (i64, i64) = (hours.parse().ok()?, minutes.parse().ok()?);
    (hours < 24 && minutes < 60).then_some(hours * 60 + minutes)
}

/// The first cut-off at or after `after_us`, for cut-offs in minutes after local midnight
/// and a local time `offset_minutes` ahead of UTC; `None` when there are no cut-offs.
pub fn next(after_us: i64, cutoffs: &[i64], offset_minutes: i64) -> Option<i64> {
    let offset_s = offset_minutes * 60;
    let local_day = (after_us.div_euclid(1_000_000) + offset_s).div_euclid(DAY_S) * DAY_S;
    (0..=1)
        .flat_map(|day| cutoffs.iter().map(move |minute| local_day + day * DAY_S + minute * 60 - offset_s))
        .map(|utc_s| utc_s * 1_000_000)
        .filter(|at_us| *at_us >= after_us)
        .min()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-11-10 00:00 UTC = 09:00 KST.
    const NOV_10_UTC_US: i64 = 1_794_268_800_000_000;
    const KST: i64 = 9 * 60;
    const HOUR_US: i64 = 3_600_000_000;

    #[test]
    fn times_of_day_parse() {
        assert_eq!(parse("09:30"), Some(570));
        assert_eq!(parse("00:00"), Some(0));
        assert_eq!(parse("23:59"), Some(1_439));
        for bad in ["24:00", "9:30", "09:60", "0930", "", "ab:cd", "09:30:00"] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_next_cut_off_is_today_or_tomorrow_in_local_time() {
        let cutoffs = [parse("10:00").unwrap(), parse("15:00").unwrap()];
        // 09:00 KST → 10:00 KST the same day.
        assert_eq!(next(NOV_10_UTC_US, &cutoffs, KST), Some(NOV_10_UTC_US + HOUR_US));
        // Exactly at a cut-off: that one.
        assert_eq!(next(NOV_10_UTC_US + HOUR_US, &cutoffs, KST), Some(NOV_10_UTC_US + HOUR_US));
        // 15:00:01 KST → 10:00 KST the next day.
        let after = NOV_10_UTC_US + 6 * HOUR_US + 1_000_000;
        assert_eq!(next(after, &cutoffs, KST), Some(NOV_10_UTC_US + 25 * HOUR_US));
        // 23:30 KST is 14:30 UTC: the local day decides, not the UTC one.
        let late = NOV_10_UTC_US + 14 * HOUR_US + HOUR_US / 2;
        assert_eq!(next(late, &cutoffs, KST), Some(NOV_10_UTC_US + 25 * HOUR_US));
        assert_eq!(next(NOV_10_UTC_US, &[], KST), None);
    }
}
