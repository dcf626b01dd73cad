//! A destination as a person reads it: the bank's, e-wallet's or pickup network's name from
//! the catalogs (신한은행 ••••6789, "Shinhan Bank ••••6789"), not the API's `masked` code
//! ("088 ••••••6789"), which stays as it is for operators' backends.
//!
//! Only what `masked` keeps is shown: at most its last four characters, behind four dots
//! whatever the length. An e-wallet id is a name a person chose, not a number: its end is
//! shown only when the id is long enough to keep most of it hidden, and never when it only
//! repeats the provider's name ("toss ••••••toss" reads as 토스 ••••).

use super::i18n;
use super::Lang;

/// Dots that stand for the hidden part, however long it is.
const DOTS: &str = "••••";
/// Characters an e-wallet id needs before its last four are shown.
const WALLET_ID_SHOWN_FROM: usize = 8;

/// `masked` (a destination's `masked`, as stored) in `lang`'s words; as it is when the
/// catalog does not know its bank, provider or network.
pub fn shown(lang: Lang, masked: &str) -> String {
    let name = |id: String| i18n::text(lang, &id, &[]);
    let Some((code, hidden)) = masked.split_once(' ') else {
        return match (name(format!("network-{masked}")), name("destination-kind-cash_pickup".into())) {
            (Some(network), Some(kind)) => format!("{kind} · {network}"),
            _ => masked.to_string(),
        };
    };
    let end = hidden.trim_start_matches('•');
    let length = hidden.chars().count();
    if let Some(bank) = name(format!("bank-{code}")) {
        return format!("{bank} {DOTS}{end}");
    }
    if let Some(provider) = name(format!("provider-{code}")) {
        let repeats_provider = !end.is_empty() && code.to_lowercase().contains(&end.to_lowercase());
        return if length >= WALLET_ID_SHOWN_FROM && !repeats_provider {
            format!("{provider} {DOTS}{end}")
        } else {
            format!("{provider} {DOTS}")
        };
    }
    masked.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::destination::Destination;

    fn masked(destination: Destination) -> String {
        destination.checked().unwrap().masked()
    }

    fn bank(code: &str, number: &str) -> Destination {
        Destination::BankAccount {
            bank_code: code.into(), account_number: number.into(), holder_name: "김민지".into()
        }
    }

    fn wallet(provider: &str, id: &str) -> Destination {
        Destination::EWallet { provider: provider.into(), wallet_id: id.into(), holder_name: "김민지".into() }
    }

    #[test]
    fn banks_are_named() {
        assert_eq!(shown(Lang::Ko, &masked(bank("088", "110-123-456789"))), "신한은행 ••••6789");
        assert_eq!(shown(Lang::En, &masked(bank("088", "110-123-456789"))), "Shinhan Bank ••••6789");
        assert_eq!(shown(Lang::Ko, &masked(bank("004", "123-456-789012"))), "KB국민은행 ••••9012");
    }

    #[test]
    fn e_wallets_show_their_end_only_when_it_hides_enough_and_says_something() {
        assert_eq!(shown(Lang::Ko, &masked(wallet("kakaopay", "minji-0412"))), "카카오페이 ••••0412");
        assert_eq!(shown(Lang::Ko, &masked(wallet("toss", "minji-toss"))), "토스 ••••");
        assert_eq!(shown(Lang::En, &masked(wallet("toss", "minji-toss"))), "Toss ••••");
        assert_eq!(shown(Lang::En, &masked(wallet("toss", "old-0000"))), "Toss ••••0000");
        assert_eq!(shown(Lang::En, &masked(wallet("naverpay", "mj12"))), "Naver Pay ••••");
        assert_eq!(shown(Lang::En, &masked(wallet("payco", "minji99"))), "PAYCO ••••");
    }

    #[test]
    fn pickups_say_what_they_are() {
        assert_eq!(shown(Lang::Ko, &masked(Destination::CashPickup { network: "gs25".into() })), "현금 찾기 · GS25");
        assert_eq!(shown(Lang::En, "emart24"), "Cash pickup · emart24");
    }

    #[test]
    fn what_the_catalog_does_not_know_is_shown_as_it_is() {
        assert_eq!(shown(Lang::En, "999 ••••1234"), "999 ••••1234");
        assert_eq!(shown(Lang::En, "newpay ••••abcd"), "newpay ••••abcd");
        assert_eq!(shown(Lang::En, "elsewhere"), "elsewhere");
    }
}
