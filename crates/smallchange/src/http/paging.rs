//! Cursor pages: `?limit=` (1–100, default 20) and `?starting_after=<id>`, answered as
//! `{"data": [...], "has_more": bool}`.

use serde::Deserialize;
use utoipa::IntoParams;

use super::error::ApiError;
use crate::services::Page;

/// Most items one page may hold, and how many a page holds when `limit` is not given.
pub const PAGE_LIMIT_MAX: i64 = 100;
pub const PAGE_LIMIT_DEFAULT: i64 = 20;

#[derive(Deserialize, IntoParams)]
pub struct PageQuery {
    /// 1–100, default 20.
    pub limit: Option<String>,
    /// The id of the last item of the previous page.
    pub starting_after: Option<String>,
}

impl PageQuery {
    pub fn limit(&self) -> Result<i64, ApiError> {
        limit(self.limit.as_deref(), PAGE_LIMIT_MAX)
    }

    pub fn starting_after(&self) -> Result<Option<&str>, ApiError> {
        let after = self.starting_after.as_deref();
        if after.is_some_and(|a| a.is_empty() || a.len() > ledger::ID_LEN_MAX) {
            return Err(ApiError::invalid("invalid_cursor", "starting_after is the id of an item", "starting_after"));
        }
        Ok(after)
    }
}

/// `limit` parsed and within 1..=`max`, or the default.
pub fn limit(text: Option<&str>, max: i64) -> Result<i64, ApiError> {
    match text {
        None => Ok(PAGE_LIMIT_DEFAULT.min(max)),
        Some(text) => {
            text.parse().ok().filter(|l| (1..=max).contains(l)).ok_or_else(|| {
                ApiError::invalid("invalid_limit", format!("limit is an integer from 1 to {max}"), "limit")
            })
        }
    }
}

/// Splits one extra fetched item off into `has_more` (see [`Page::of`]).
pub fn page<T>(items: Vec<T>, limit: i64) -> (Vec<T>, bool) {
    let Page { items, has_more } = Page::of(items, limit);
    (items, has_more)
}
