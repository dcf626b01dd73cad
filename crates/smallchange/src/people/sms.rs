//! The text messages a person gets, in their language, money and times written as people
//! write them. The one-time code always follows the first `": "`, so a phone can offer to
//! fill it in.

use super::{local_time, money, Lang};

/// The SMS with the code that confirms a cash-out of `net`.
pub fn cashout_code(operator: &str, net: i64, currency: &str, code: &str, lang: Lang) -> String {
    let net = money(net, currency, lang);
    match lang {
        Lang::Ko => format!("[{operator}] {net} 출금 확인 코드: {code}. 누구에게도 알려주지 마세요."),
        Lang::En => format!("[{operator}] Your code to confirm a cash-out of {net}: {code}. Never share it."),
    }
}

/// The SMS with the code that signs a person in to the web wallet.
pub fn sign_in_code(operator: &str, code: &str, lang: Lang) -> String {
    match lang {
        Lang::Ko => format!("[{operator}] 지갑 로그인 코드: {code}. 누구에게도 알려주지 마세요."),
        Lang::En => format!("[{operator}] Your wallet sign-in code: {code}. Never share it."),
    }
}

/// What a cash-pickup voucher's SMS says.
pub struct Voucher<'a> {
    pub operator: &'a str,
    pub net: i64,
    pub currency: &'a str,
    /// The pickup network, if known.
    pub network: Option<&'a str>,
    pub code: &'a str,
    pub pin: &'a str,
    pub expires_at_us: i64,
    pub utc_offset_minutes: i32,
}

/// The SMS that gives the code and PIN of a cash-pickup voucher.
pub fn pickup_voucher(v: &Voucher<'_>, lang: Lang) -> String {
    let net = money(v.net, v.currency, lang);
    let until = local_time(v.expires_at_us, v.utc_offset_minutes);
    let Voucher { operator, code, pin, .. } = v;
    match lang {
        Lang::Ko => {
            let at = v.network.unwrap_or("가까운 찾는 곳");
            format!("[{operator}] 현금 {net} 찾기 ({at}): 교환 코드 {code}, PIN {pin}, {until}까지. 직원에게만 보여 주세요.")
        }
        Lang::En => {
            let at = v.network.unwrap_or("a pickup point");
            format!(
                "[{operator}] Collect {net} in cash at {at}: voucher code {code}, PIN {pin}, until {until}. Show them \
                 only to the agent."
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_code_follows_the_first_colon_and_money_is_written_out() {
        for lang in [Lang::Ko, Lang::En] {
            let text = cashout_code("작은돈", 19_500, "KRW", "123456", lang);
            assert!(text.split(": ").nth(1).unwrap().starts_with("123456"), "{text}");
            assert!(!text.contains("19500"), "{text}");
        }
        assert!(cashout_code("작은돈", 19_500, "KRW", "123456", Lang::Ko).contains("19,500원 출금"));
        assert!(cashout_code("Small", 19_500, "KRW", "123456", Lang::En).contains("cash-out of ₩19,500:"));
    }

    #[test]
    fn a_voucher_names_the_amount_the_place_and_the_local_deadline() {
        let v = Voucher {
            operator: "작은돈",
            net: 48_000,
            currency: "KRW",
            network: Some("gs25"),
            code: "1234-5678-9012",
            pin: "654321",
            expires_at_us: 1_796_280_179_000_000,
            utc_offset_minutes: 540,
        };
        assert_eq!(
            pickup_voucher(&v, Lang::Ko),
            "[작은돈] 현금 48,000원 찾기 (gs25): 교환 코드 1234-5678-9012, PIN 654321, 2026-12-03 15:42 KST까지. 직원에게만 \
             보여 주세요."
        );
        let en = pickup_voucher(&Voucher { network: None, ..v }, Lang::En);
        assert!(
            en.contains("Collect ₩48,000 in cash at a pickup point: voucher code 1234-5678-9012, PIN 654321"),
            "{en}"
        );
    }
}
