//! Keeps this server's row in `server_boots` alive until it stops (see [`crate::store::boots`]).

use tokio::sync::watch;

use crate::store::{self, boots, Db};

/// Beats every [`boots::BEAT_EVERY`] until told to stop. The server leaves (`boots::leave`)
/// once its last request is answered, not here: a request still at work holds its claim.
pub async fn run(db: Db, boot: String, mut stop: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(boots::BEAT_EVERY) => {}
            _ = stop.changed() => break,
        }
        if let Err(error) = boots::beat(&db, &boot, store::now_us()).await {
            tracing::warn!(error = %format!("{error:#}"), "could not say this server is alive; trying again");
        }
    }
}
