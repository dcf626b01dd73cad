//! Which pockets pay for a payment, and which get a refund back. Pure arithmetic, so the
//! rules can be read and tested on their own.
//!
//! A payment draws on pockets in the spend order of API.md — gift cards nearest expiry
//! first, then `carrier`, `card`, `promo`, `cashback`, `refund`, and `cash` last — so the
//! value a user could withdraw is spent only when nothing else is left. A refund returns
//! value only to the pockets that paid, last-paid first (so `cash` comes back before
//! `carrier`), and never more to a pocket than it paid.

use super::pocket::Pocket;

/// Sorts pockets into spend order. `expires_at` is a gift card's expiry (others: `None`).
pub fn sort_for_spending<T>(pockets: &mut [T], key: impl Fn(&T) -> (&Pocket, Option<i64>)) {
    pockets.sort_by(|a, b| {
        let (pocket_a, expiry_a) = key(a);
        let (pocket_b, expiry_b) = key(b);
        let rank = |p: &Pocket, e: Option<i64>| (p.spend_rank(), e.unwrap_or(i64::MAX), p.name());
        rank(pocket_a, expiry_a).cmp(&rank(pocket_b, expiry_b))
    });
}

/// Takes `amount` from pockets holding `available` (in spend order), each as far as it
/// goes. `None` if together they hold less than `amount`.
pub fn draw(available: &[i64], amount: i64) -> Option<Vec<i64>> {
    let mut left = amount;
    let taken: Vec<i64> = available
        .iter()
        .map(|&has| {
            let take = has.max(0).min(left);
            left -= take;
            take
        })
        .collect();
    (left == 0).then_some(taken)
}

/// How much of a refund of `amount` goes back to each leg of a payment (`paid`, in spend
/// order), given that `refunded` was refunded before. Refunds walk the legs from the last
/// paid to the first, so successive partial refunds never return a unit twice.
pub fn refund_shares(paid: &[i64], refunded: i64, amount: i64) -> Vec<i64> {
    let (start, end) = (refunded, refunded + amount);
    let mut shares = vec![0; paid.len()];
    let mut cursor = 0;
    for (index, leg) in paid.iter().enumerate().rev() {
        let (leg_start, leg_end) = (cursor, cursor + leg);
        shares[index] = (leg_end.min(end) - leg_start.max(start)).max(0);
        cursor = leg_end;
    }
    shares
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn gift_cards_nearest_expiry_first_and_cash_last() {
        let mut pockets = vec![
            (Pocket::Cash, None),
            (Pocket::Gift("gc_late".into()), Some(200)),
            (Pocket::Refund, None),
            (Pocket::Carrier, None),
            (Pocket::Gift("gc_soon".into()), Some(100)),
            (Pocket::Promo, None),
            (Pocket::Card, None),
            (Pocket::Cashback, None),
        ];
        sort_for_spending(&mut pockets, |(p, e)| (p, *e));
        let names: Vec<String> = pockets.iter().map(|(p, _)| p.name()).collect();
        assert_eq!(names, ["gift:gc_soon", "gift:gc_late", "carrier", "card", "promo", "cashback", "refund", "cash"]);
    }

    #[test]
    fn draws_in_order_and_refuses_a_shortfall() {
        assert_eq!(draw(&[300, 0, 500, 1_000], 700), Some(vec![300, 0, 400, 0]));
        assert_eq!(draw(&[300, 500], 800), Some(vec![300, 500]));
        assert_eq!(draw(&[300, 500], 801), None);
    }

    #[test]
    fn refunds_go_back_last_paid_first() {
        // Paid 300 from carrier, then 500 from cash.
        assert_eq!(refund_shares(&[300, 500], 0, 200), vec![0, 200]);
        assert_eq!(refund_shares(&[300, 500], 200, 400), vec![100, 300]);
        assert_eq!(refund_shares(&[300, 500], 600, 200), vec![200, 0]);
    }

    proptest! {
        #[test]
        fn partial_refunds_return_each_leg_exactly_once(
            paid in proptest::collection::vec(0i64..1_000, 1..6),
            cuts in proptest::collection::vec(1i64..500, 0..10),
        ) {
            let total: i64 = paid.iter().sum();
            let mut returned = vec![0; paid.len()];
            let mut refunded = 0;
            for cut in cuts {
                let amount = cut.min(total - refunded);
                for (r, share) in returned.iter_mut().zip(refund_shares(&paid, refunded, amount)) {
                    *r += share;
                }
                refunded += amount;
                prop_assert_eq!(returned.iter().sum::<i64>(), refunded);
            }
            for (r, p) in returned.iter().zip(&paid) {
                prop_assert!(r <= p);
            }
            let rest = total - refunded;
            for (r, share) in returned.iter_mut().zip(refund_shares(&paid, refunded, rest)) {
                *r += share;
            }
            prop_assert_eq!(returned, paid);
        }
    }
}
