//! One page of a list that is read a page at a time, oldest first, after a cursor (the id
//! of the last item of the page before).

/// Up to the number of items asked for, and whether more follow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub has_more: bool,
}

impl<T> Page<T> {
    /// The page from up to `limit + 1` items fetched: an extra one only says that more follow.
    pub fn of(mut fetched: Vec<T>, limit: i64) -> Page<T> {
        let limit = usize::try_from(limit).unwrap_or(0);
        let has_more = fetched.len() > limit;
        fetched.truncate(limit);
        Page { items: fetched, has_more }
    }
}

/// How many items to fetch for a page of `limit`: one more, to tell whether more follow.
pub fn fetch_limit(limit: i64) -> i64 {
    limit.saturating_add(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_extra_item_only_says_more_follow() {
        assert_eq!(Page::of(vec![1, 2, 3], 2), Page { items: vec![1, 2], has_more: true });
        assert_eq!(Page::of(vec![1, 2], 2), Page { items: vec![1, 2], has_more: false });
        assert_eq!(Page::of(Vec::<i32>::new(), 2), Page { items: vec![], has_more: false });
    }
}
