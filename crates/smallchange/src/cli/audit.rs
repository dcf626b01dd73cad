//! `smallchange audit …`: check the audit log from the stored rows (`verify`), print the
//! public key that signs its checkpoints (`key`), and retire that key for a new one
//! (`rotate-key`). Verification needs no secret: the public keys, current and retired, are
//! in the database, so an auditor with a copy of it can run it.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;

use super::{open_existing, settings, DbArg, Failure};
use crate::crypto::Secrets;
use crate::services::{audit, audit_verify};
use crate::store;

#[derive(Subcommand)]
pub(super) enum AuditCommand {
    /// Check every tenant's audit log from the stored rows; exit non-zero naming the first
    /// bad entry.
    #[command(long_about = "Check every tenant's audit log from the stored rows themselves, never \
from the hashes stored beside them: each entry's canonical bytes are re-derived from its columns \
and its leaf hash recomputed, in index order (0, 1, 2 … with no gap); the rows an entry \
describes (payments, top-ups, cash-outs, ledger transfers) must still agree with it; the tree is \
rebuilt and every checkpoint's root compared at its size, its signature checked with the key \
that signed it (current or retired), and consecutive checkpoints proved consistent.

With --checkpoint FILE (the `checkpoint` text of GET /v1/audit/checkpoints/latest, saved \
earlier), its signature is checked and the tenant's tree must still extend it: a database \
rolled back to an older copy has fewer entries or another root, and is named.

On success, one line per tenant. On the first failure, exit 1 naming the tenant, the entry \
(index and id) or checkpoint, and what disagrees.")]
    Verify {
        #[command(flatten)]
        db: DbArg,
        /// A signed checkpoint saved earlier (the `checkpoint` text), which the tree must
        /// still extend.
        #[arg(long, value_name = "FILE")]
        checkpoint: Option<PathBuf>,
    },
    /// Print the verifier key (`name+id+key`, as Go's sumdb/note reads it) of the key that
    /// signs checkpoints now; made on first need.
    Key {
        #[command(flatten)]
        db: DbArg,
    },
    /// Retire the signing key and make a new one; old checkpoints keep verifying.
    #[command(long_about = "Retire the key that signs checkpoints and make a new one, printing \
the new verifier key. The retired key's public half stays in the database, so the checkpoints \
it signed keep verifying (`audit verify` knows every key); its seed can no longer sign. Running \
servers sign with the new key from their next round (within a second). Publish the new key \
where auditors fetch it (GET /.well-known/smallchange/audit-key answers it at once).")]
    RotateKey {
        #[command(flatten)]
        db: DbArg,
    },
}

pub(super) async fn run(command: AuditCommand, config: Option<&PathBuf>) -> anyhow::Result<ExitCode> {
    match command {
        AuditCommand::Verify { db, checkpoint } => {
            let db = open_existing(&settings(config, &db)?).await?;
            verify(&db, checkpoint).await
        }
        AuditCommand::Key { db } => {
            let settings = settings(config, &db)?;
            let db = open_existing(&settings).await?;
            match store::audit::current_key(&db).await? {
                Some(row) => println!("{}", audit::verifier_key_of(&row)?),
                None => {
                    println!("{}", audit::signing_key(&db, &Secrets::load(&settings)?).await?.signer.verifier_key())
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        AuditCommand::RotateKey { db } => {
            let settings = settings(config, &db)?;
            let secrets = Secrets::load(&settings)?;
            let db = open_existing(&settings).await?;
            let (key, retired) = audit::rotate_key(&db, &secrets, store::now_us()).await?;
            eprintln!("retired {retired} key(s); checkpoints they signed keep verifying. The new key:");
            println!("{}", key.signer.verifier_key());
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn verify(db: &store::Db, checkpoint: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let saved = match checkpoint {
        None => None,
        Some(path) => {
            let text = std::fs::read_to_string(&path)
                .map_err(|error| Failure::new(format!("cannot read the checkpoint {}: {error}", path.display())))?;
            match audit_verify::read_saved(db, &text).await? {
                Ok(saved) => Some(saved),
                Err(what) => return failed(&what),
            }
        }
    };
    match audit_verify::run(db, saved.as_ref()).await? {
        Ok(reports) => {
            for report in &reports {
                println!("{report}");
            }
            if reports.is_empty() {
                println!("the audit log is empty");
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(failure) => failed(&failure.to_string()),
    }
}

fn failed(what: &str) -> anyhow::Result<ExitCode> {
    println!("FAILED: {what}");
    eprintln!("error: the audit log does not verify: {what}");
    Ok(ExitCode::FAILURE)
}
