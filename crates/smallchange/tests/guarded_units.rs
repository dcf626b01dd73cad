//! A unit that stands on a conditional change (a cash-out's status moving on) commits with
//! it or not at all: of two units standing on the same change one wins, and a unit whose
//! money fails takes its change back with it.

mod support;

use std::sync::Arc;

use ledger::{AccountId, Amount, Currency};
use smallchange::committer::{Command, Committer, Output, Reply};
use smallchange::metrics::Metrics;
use smallchange::unit::{self, Guard, Param, Refusal, Row, Unit, UnitOutput};
use support::{spawn, test_settings, Backend, TestServer};

fn rename(tenant: &str, from: &str, to: &str) -> Guard {
    Guard {
        row: Row {
            sql: "UPDATE tenants SET name = $1 WHERE id = $2 AND name = $3",
            params: vec![Param::from(to), Param::from(tenant), Param::from(from)],
        },
        refusal: Refusal::new("invalid_state", "the tenant was renamed already"),
    }
}

async fn tenant_name(server: &TestServer) -> String {
    smallchange::store::tenants::tenant_name(server.store(), &server.tenant).await.unwrap().expect("the tenant")
}

async fn committer(server: &TestServer) -> (Committer, tokio::task::JoinHandle<()>) {
    let metrics = Arc::new(Metrics::default());
    Committer::start(server.store().clone(), test_settings(&server.db).committer(), metrics)
        .expect("a committer starts")
}

fn output(reply: Reply) -> UnitOutput {
    match reply {
        Reply::Applied(Output::Unit(output)) => output,
        other => panic!("a unit answered {other:?}"),
    }
}

async fn of_two_on_the_same_change_one_wins(backend: Backend) {
    let server = spawn(backend).await;
    let name = tenant_name(&server).await;
    let (committer, task) = committer(&server).await;
    let first = Unit::fixed(vec![], vec![], vec![], vec![]).with_guard(rename(&server.tenant, &name, "first"));
    let second = Unit::fixed(vec![], vec![], vec![], vec![]).with_guard(rename(&server.tenant, &name, "second"));
    let (a, b) =
        tokio::join!(committer.submit(Command::from(first), None), committer.submit(Command::from(second), None));
    let outcomes = [output(a.unwrap()), output(b.unwrap())];
    let won: Vec<bool> = outcomes.iter().map(UnitOutput::succeeded).collect();
    assert_eq!(won.iter().filter(|w| **w).count(), 1, "exactly one wins: {outcomes:?}");
    let loser = outcomes.iter().find(|o| !o.succeeded()).unwrap();
    assert!(matches!(loser, UnitOutput::Refused(r) if r.code == "invalid_state"));
    assert_eq!(tenant_name(&server).await, if won[0] { "first" } else { "second" });
    drop(committer);
    task.await.unwrap();
    server.stop().await;
}

async fn a_unit_whose_money_fails_takes_its_change_back(backend: Backend) {
    let server = spawn(backend).await;
    let name = tenant_name(&server).await;
    let (committer, task) = committer(&server).await;
    let nowhere = AccountId("no-such-account".into());
    let krw = Currency::parse("KRW").unwrap();
    let move_money = unit::transfer("t-guarded".into(), &nowhere, &nowhere, Amount::new(10).unwrap(), krw, 1);
    let failing = Unit::fixed(vec![], vec![], vec![move_money], vec![]).with_guard(rename(&server.tenant, &name, "x"));
    let outcome = output(committer.submit(Command::from(failing), None).await.unwrap());
    assert!(!outcome.succeeded(), "the transfer cannot be made: {outcome:?}");
    assert_eq!(tenant_name(&server).await, name, "the guard's change is rolled back with the unit");
    drop(committer);
    task.await.unwrap();
    server.stop().await;
}

both_backends!(one_wins, super::of_two_on_the_same_change_one_wins);
both_backends!(money_fails_change_back, super::a_unit_whose_money_fails_takes_its_change_back);
