//! Object ids: a prefix, the creation time in base 36 and randomness (`usr_…`, `pay_…`), so
//! that id order is creation order, lists page with `id > cursor`, and ids stay well under
//! the 35 characters ISO 20022 fields allow.

use rand::distributions::Alphanumeric;
use rand::Rng;

/// Random characters after the time: 36⁷ ≈ 7.8·10¹⁰ per microsecond.
const RANDOM_CHARS: usize = 7;

/// A new id for an object created at `created_at_us`, e.g. `usr_0l6x2k9a1b3c4q8z2m1x0p`.
pub fn time_ordered(prefix: &str, created_at_us: i64) -> String {
    let random = new_id("", RANDOM_CHARS);
    format!("{prefix}_{}{}", to_base36(created_at_us.max(0) as u64), &random[1..])
}

/// The least id with `prefix` an object created at or after `created_at_us` can have: a
/// lower bound for `id >=` in a time window.
pub fn time_ordered_floor(prefix: &str, created_at_us: i64) -> String {
    format!("{prefix}_{}", to_base36(created_at_us.max(0) as u64))
}

/// The `n`th of several ids made at the same moment by one writer: they sort in `n` order.
pub fn time_ordered_nth(prefix: &str, created_at_us: i64, n: usize) -> String {
    let random = new_id("", RANDOM_CHARS - 2);
    let nth = to_base36(n as u64 % (36 * 36));
    format!("{prefix}_{}{}{}", to_base36(created_at_us.max(0) as u64), &nth[11..], &random[1..])
}

/// A random id with a type prefix, e.g. `ten_…`: lower-case letters and digits only.
pub fn new_id(prefix: &str, random_chars: usize) -> String {
    let random: String = rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(random_chars)
        .map(|b| char::from(b).to_ascii_lowercase())
        .collect();
    format!("{prefix}_{random}")
}

/// Thirteen base-36 digits, zero-padded so that text order is numeric order.
fn to_base36(mut n: u64) -> String {
    const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = vec![b'0'; 13];
    for slot in out.iter_mut().rev() {
        *slot = DIGITS[(n % 36) as usize];
        n /= 36;
    }
    String::from_utf8(out).expect("ASCII digits")
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_sort_by_creation_time() {
        let earlier = super::time_ordered("usr", 1_700_000_000_000_000);
        let later = super::time_ordered("usr", 1_700_000_000_000_001);
        assert!(earlier < later);
        assert_eq!(earlier.len(), 4 + 13 + 7);
        let (first, second) = (super::time_ordered_nth("ent", 5, 1), super::time_ordered_nth("ent", 5, 2));
        assert!(first < second && first.len() == earlier.len(), "{first} {second}");
    }
}
