//! Whom a guard against guessing counts a try against, and the test that every door is held
//! to the same guards. The guards themselves ([`crate::limits`]) sit below the
//! [`Context`](crate::context::Context) that carries them; a use case turns a try they turn
//! away into [`Error::rate_limited`](super::Error::rate_limited).

use super::Actor;

/// Whose tries a gift-card code counts against: `actor` in `tenant`. A user redeeming into
/// their own wallet and an operator redeeming into it for them are the same person,
/// [`Actor::EndUser`] of that wallet.
pub fn person(tenant: &str, actor: &Actor) -> String {
    format!("{tenant}/{actor}")
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr};
    use std::sync::Arc;

    use crate::clock::Clock;
    use crate::committer::Committer;
    use crate::config::Settings;
    use crate::context::Context;
    use crate::crypto::Secrets;
    use crate::domain::gift_card::Presented;
    use crate::limits::{CODE_GUESSES_PERSON_BURST, LINK_FAILURES_BURST};
    use crate::metrics::Metrics;
    use crate::services::cashout::receipt_link::{self, Refused};
    use crate::services::{gift_cards, Kind};
    use crate::services::{Actor, Error};
    use crate::store::Db;

    /// A context on a fresh SQLite database, as a second door (a page, a worker) has it.
    async fn context(dir: &tempfile::TempDir) -> Context {
        let url = format!("sqlite://{}", dir.path().join("limits.db").display());
        let settings = Settings { db: url, ..Settings::default() };
        let db = Db::connect(&settings.db_options()).await.unwrap();
        db.migrate().await.unwrap();
        let metrics = Arc::new(Metrics::default());
        let (committer, _task) = Committer::start(db.clone(), settings.committer(), metrics.clone()).unwrap();
        let secrets = Arc::new(Secrets::from_key([7; 32]));
        let settings = Arc::new(settings);
        let guards = Arc::default();
        Context { db, committer, settings, metrics, clock: Clock::system(), secrets, guards }
    }

    fn wrong(n: usize) -> Presented {
        Presented::new("BookPass".into(), &format!("9999-0000-0000-{n:04}"), None)
    }

    fn assert_limited(error: &Error) {
        assert_eq!((error.kind(), error.code()), (Kind::RateLimited, "rate_limited"), "{error}");
        assert!(error.retry_after_s().is_some_and(|s| s >= 1), "{error:?}");
    }

    #[tokio::test]
    async fn a_second_door_is_held_to_the_same_limits() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = context(&dir).await;
        let (tenant, key) =
            ("ten_1", Actor::ApiKey { key_id: "key_1".into(), role: crate::store::tenants::Role::Admin });
        let (api, web) = (IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)), IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)));

        // Through one door, a key checks ten codes that match no card…
        for n in 0..CODE_GUESSES_PERSON_BURST as usize {
            let found = gift_cards::check(&ctx, &key, api, tenant, &wrong(n)).await.unwrap();
            assert!(found.reasons.contains(&"card_not_found"), "{:?}", found.reasons);
        }
        // …and through another, from another address, it is turned away before any lookup.
        assert_limited(&gift_cards::check(&ctx, &key, web, tenant, &wrong(99)).await.unwrap_err());

        // A user of the web wallet checks ten wrong codes; redeeming into that wallet through
        // the API is then turned away too: the same person, whoever's key asks.
        let user = Actor::EndUser { user_id: "usr_1".into() };
        for n in 0..CODE_GUESSES_PERSON_BURST as usize {
            gift_cards::check(&ctx, &user, web, tenant, &wrong(n)).await.unwrap();
        }
        let Err(error) = gift_cards::redeem(&ctx, &key, api, tenant, "usr_1", &wrong(0), None).await else {
            panic!("a redemption into a wallet out of tries was let through");
        };
        assert_limited(&error);

        // Receipt links: ten forgeries from one address, then that address is turned away
        // however the link is opened, genuine or not; another address is not.
        let forged = |ctx: &Context, client| {
            let ctx = ctx.clone();
            async move { receipt_link::open(&ctx, client, "co_1", "1800000000", &"0".repeat(64)).await }
        };
        for _ in 0..LINK_FAILURES_BURST {
            assert_eq!(forged(&ctx, api).await.unwrap().err(), Some(Refused::Invalid));
        }
        let Err(error) = forged(&ctx, api).await else { panic!("a link from an address out of tries was opened") };
        assert_limited(&error);
        assert_eq!(forged(&ctx, web).await.unwrap().err(), Some(Refused::Invalid));
    }
}
