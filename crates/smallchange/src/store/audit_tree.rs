//! Chaining events into their tenant's audit tree, inside the committer's batch: each event
//! gets the next index of its tenant's tree and its leaf hash in the same transaction that
//! writes it, so no event is ever stored unchained. The batch holds each tenant's tree
//! head (locked on PostgreSQL, where several servers may write) while it appends.

use std::collections::BTreeMap;

use crate::events::encoding::Entry;
use crate::events::Happened;
use crate::unit::{Param, Row};

/// Inner nodes kept at every `NODE_LEVEL_STEP`th level (see the `audit_nodes` table).
pub const NODE_LEVEL_STEP: u8 = 4;

/// A tenant's tree as the batch found it: how many entries, and its right edge.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TreeHead {
    pub size: u64,
    /// The serialized frontier (`tlog::Frontier::to_bytes`), hex; empty for an empty tree.
    pub frontier: String,
}

impl TreeHead {
    pub fn frontier(&self) -> anyhow::Result<tlog::Frontier> {
        if self.frontier.is_empty() {
            return Ok(tlog::Frontier::new());
        }
        let frontier = tlog::Frontier::from_bytes(&hex::decode(&self.frontier)?)?;
        anyhow::ensure!(frontier.size() == self.size, "the tree head's size and frontier disagree");
        Ok(frontier)
    }
}

/// Appends `events` (in commit order) to their tenants' trees; answers the rows that store
/// the entries, the personal data beside them, and each changed tree head.
pub fn append(heads: &mut BTreeMap<String, TreeHead>, events: &[Happened], now_us: i64) -> anyhow::Result<Vec<Row>> {
    let mut rows = Vec::with_capacity(events.len() + heads.len());
    let mut frontiers = BTreeMap::new();
    for event in events {
        let head = heads.entry(event.tenant.clone()).or_default();
        let frontier = match frontiers.entry(event.tenant.as_str()) {
            std::collections::btree_map::Entry::Occupied(found) => found.into_mut(),
            std::collections::btree_map::Entry::Vacant(slot) => slot.insert(head.frontier()?),
        };
        let data = event.canonical_data();
        let entry = Entry {
            tenant: &event.tenant,
            index: head.size,
            id: &event.id,
            kind: event.kind.as_str(),
            subject: &event.subject,
            actor: &event.actor,
            at_us: event.at,
            data: &data,
        };
        let leaf = entry.leaf_hash();
        rows.push(entry_row(&entry, &leaf));
        rows.extend(event.personal.iter().map(|p| personal_row(event, p)));
        for (level, index, hash) in frontier.append(leaf) {
            if level > 0 && level % NODE_LEVEL_STEP == 0 {
                rows.push(node_row(&event.tenant, level, index, &hash));
            }
        }
        head.size += 1;
    }
    for (tenant, frontier) in frontiers {
        let head = heads.get_mut(tenant).expect("a head for every tenant appended to");
        head.frontier = hex::encode(frontier.to_bytes());
        rows.push(head_row(tenant, head, now_us));
    }
    Ok(rows)
}

fn node_row(tenant: &str, level: u8, index: u64, hash: &[u8; 32]) -> Row {
    Row {
        sql: "INSERT INTO audit_nodes (tenant_id, level, idx, hash) VALUES ($1, $2, $3, $4)",
        params: vec![tenant.into(), Param::Int(i64::from(level)), Param::Int(index as i64), hex::encode(hash).into()],
    }
}

fn entry_row(entry: &Entry<'_>, leaf: &[u8; 32]) -> Row {
    Row {
        sql: "INSERT INTO events (tenant_id, idx, id, kind, subject, actor, at, data, leaf_hash) \
              VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        params: vec![
            entry.tenant.into(),
            Param::Int(entry.index as i64),
            entry.id.into(),
            entry.kind.into(),
            entry.subject.into(),
            entry.actor.into(),
            Param::Int(entry.at_us),
            entry.data.into(),
            hex::encode(leaf).into(),
        ],
    }
}

fn personal_row(event: &Happened, personal: &crate::events::Personal) -> Row {
    Row {
        sql: "INSERT INTO event_personal (event_id, tenant_id, person, field, value, salt) \
              VALUES ($1, $2, $3, $4, $5, $6)",
        params: vec![
            event.id.as_str().into(),
            event.tenant.as_str().into(),
            personal.person.as_str().into(),
            personal.field.into(),
            personal.value.as_str().into(),
            personal.salt.as_str().into(),
        ],
    }
}

fn head_row(tenant: &str, head: &TreeHead, now_us: i64) -> Row {
    Row {
        sql: "INSERT INTO audit_trees (tenant_id, size, frontier, updated_at) VALUES ($1, $2, $3, $4) \
              ON CONFLICT (tenant_id) DO UPDATE SET size = excluded.size, frontier = excluded.frontier, \
              updated_at = excluded.updated_at",
        params: vec![tenant.into(), Param::Int(head.size as i64), head.frontier.as_str().into(), Param::Int(now_us)],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::Kind;
    use serde_json::json;

    fn event(tenant: &str) -> Happened {
        Happened::recorded_by(tenant, "system:cli".into(), "x", Kind::TenantCreated, json!({}), 1)
    }

    #[test]
    fn each_tenant_counts_its_own_entries() {
        let mut heads = BTreeMap::new();
        let mut a = tlog::Frontier::new();
        (0..5).for_each(|n| drop(a.append(tlog::leaf_hash(&[n]))));
        heads.insert("ten_a".to_string(), TreeHead { size: 5, frontier: hex::encode(a.to_bytes()) });
        let rows = append(&mut heads, &[event("ten_a"), event("ten_b"), event("ten_a")], 0).unwrap();
        assert_eq!(heads["ten_a"].size, 7);
        assert_eq!(heads["ten_b"].size, 1);
        let indexes: Vec<&Param> =
            rows.iter().filter(|r| r.sql.contains("INTO events")).map(|r| &r.params[1]).collect();
        assert_eq!(indexes, [&Param::Int(5), &Param::Int(0), &Param::Int(6)]);
    }
}
