//! Every string a person reads on the wallet's pages lives in a Fluent catalog per language
//! (`locales/ko/*.ftl`, `locales/en/*.ftl`, one file per part of the wallet), compiled into
//! the binary; the API's receipt page reads the banks' and networks' names from them too. Code and
//! templates name messages by id; numbers and money arrive already written as people write
//! them ([`crate::people`]).

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader};

use super::Lang;

fluent_templates::static_loader! {
    static CATALOGS = {
        locales: "./locales",
        fallback_language: "ko",
        // Arguments go in without Unicode isolation marks: they are plain numbers and
        // names, and the marks would show as stray characters in SMS and copied text.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

fn language(lang: Lang) -> LanguageIdentifier {
    lang.code().parse().expect("ko and en are language identifiers")
}

/// Message `id` in `lang`, with `args`; `None` if the catalog has no such message.
pub fn text(lang: Lang, id: &str, args: &[(&str, String)]) -> Option<String> {
    let args: HashMap<Cow<'static, str>, FluentValue> =
        args.iter().map(|(name, value)| (Cow::Owned(name.to_string()), FluentValue::from(value.clone()))).collect();
    let language = language(lang);
    // Look only in the language asked for: a message missing from one catalog is a bug the
    // tests catch, not something to paper over with the other language.
    CATALOGS
        .try_lookup_complete(&language, id, if args.is_empty() { None } else { Some(&args) })
        .filter(|_| has(lang, id))
}

/// Whether `lang`'s catalog itself has message `id` (not through the fallback).
pub fn has(lang: Lang, id: &str) -> bool {
    static KNOWN: OnceLock<[HashSet<String>; 2]> = OnceLock::new();
    let known = KNOWN.get_or_init(|| [Lang::Ko, Lang::En].map(|lang| ids(lang).into_iter().collect()));
    known[usize::from(lang == Lang::En)].contains(id)
}

/// The ids of `lang`'s catalog, read from its source.
pub fn ids(lang: Lang) -> Vec<String> {
    source(lang)
        .lines()
        .filter_map(|line| {
            let (id, _) = line.split_once(" =")?;
            let id = id.trim_end();
            let first = id.chars().next()?;
            (first.is_ascii_alphabetic() && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
                .then(|| id.into())
        })
        .collect()
}

/// Each catalog file, per language: one per part of the wallet and one for the console, so
/// that parts grow apart. A new file is listed here too (the loader finds it by itself).
const KO: &[&str] = &[
    include_str!("../../locales/ko/wallet.ftl"),
    include_str!("../../locales/ko/activity.ftl"),
    include_str!("../../locales/ko/gift_cards.ftl"),
    include_str!("../../locales/ko/cash_out.ftl"),
    include_str!("../../locales/ko/settings.ftl"),
    include_str!("../../locales/ko/console.ftl"),
];
const EN: &[&str] = &[
    include_str!("../../locales/en/wallet.ftl"),
    include_str!("../../locales/en/activity.ftl"),
    include_str!("../../locales/en/gift_cards.ftl"),
    include_str!("../../locales/en/cash_out.ftl"),
    include_str!("../../locales/en/settings.ftl"),
    include_str!("../../locales/en/console.ftl"),
];

fn source(lang: Lang) -> String {
    match lang {
        Lang::Ko => KO.join("\n"),
        Lang::En => EN.join("\n"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_catalogs_have_the_same_messages() {
        let (mut ko, mut en) = (ids(Lang::Ko), ids(Lang::En));
        ko.sort();
        en.sort();
        let only_ko: Vec<_> = ko.iter().filter(|id| !en.contains(id)).collect();
        let only_en: Vec<_> = en.iter().filter(|id| !ko.contains(id)).collect();
        assert!(only_ko.is_empty() && only_en.is_empty(), "only in ko: {only_ko:?}; only in en: {only_en:?}");
        assert!(ko.len() > 20, "the catalogs were read ({} messages)", ko.len());
        let twice: Vec<_> = ko.windows(2).chain(en.windows(2)).filter(|w| w[0] == w[1]).map(|w| &w[0]).collect();
        assert!(twice.is_empty(), "messages defined twice: {twice:?}");
    }

    #[test]
    fn every_message_formats_in_both_languages() {
        for lang in [Lang::Ko, Lang::En] {
            for line in source(lang).lines().filter(|l| l.contains(" = ") && !l.starts_with('#')) {
                let (id, body) = line.split_once(" = ").unwrap();
                // Each variable the message names, given a value.
                let args: Vec<(&str, String)> = body
                    .split("{ $")
                    .skip(1)
                    .filter_map(|rest| rest.split_once(' ').map(|(name, _)| (name, "1".to_string())))
                    .collect();
                let shown = text(lang, id, &args);
                assert!(
                    shown.as_ref().is_some_and(|t| !t.trim().is_empty() && !t.contains('{')),
                    "{id} in {lang:?}: {shown:?}"
                );
            }
        }
    }

    #[test]
    fn every_rail_has_a_name_people_know() {
        for rail in crate::rails::ALL {
            for lang in [Lang::Ko, Lang::En] {
                let name = text(lang, &format!("rail-{}", rail.name()), &[]);
                assert!(
                    name.as_ref().is_some_and(|n| !n.contains(rail.name())),
                    "{} in {lang:?}: {name:?}",
                    rail.name()
                );
            }
        }
    }

    #[test]
    fn arguments_are_filled_in_without_marks() {
        let line = text(Lang::En, "pocket-held", &[("amount", "₩3,000".into())]).unwrap();
        assert_eq!(line, "₩3,000 of it is being cashed out.");
        assert_eq!(text(Lang::Ko, "no-such-message", &[]), None);
    }
}
