//! A small owned tree of an XML document's elements, by local name, read with quick-xml.
//!
//! Banks put ISO 20022 documents in whatever namespace their version has, with or without a
//! prefix; the report readers only care about local names and the text of leaf elements, so
//! they look fields up by path in this tree. Everything malformed fails here, once, with a
//! line and column: unclosed or mismatched tags, a second root, text outside the root,
//! unknown entities (no DTD is ever expanded) and nesting deeper than a sane document needs.

use quick_xml::events::{BytesRef, Event};
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;

/// ISO 20022 documents nest about fifteen levels; anything far deeper is not one.
const ELEMENT_DEPTH_MAX: usize = 64;

/// One element: its local name, its text (entities resolved, untrimmed) and its children.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Element {
    pub name: String,
    /// The namespace the element's name is bound to; kept only for error messages.
    pub namespace: Option<String>,
    text: String,
    pub children: Vec<Element>,
}

impl Element {
    /// The first child called `name`.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|child| child.name == name)
    }

    /// Every child called `name`, in document order.
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |child| child.name == name)
    }

    /// The first element down `path` (first match at each step).
    pub fn find(&self, path: &[&str]) -> Option<&Element> {
        path.iter().try_fold(self, |element, name| element.child(name))
    }

    /// The trimmed text of the first element down `path`, unless it is missing or blank.
    pub fn text_at(&self, path: &[&str]) -> Option<&str> {
        self.find(path).map(Element::text).filter(|text| !text.is_empty())
    }

    /// This element's own text, trimmed.
    pub fn text(&self) -> &str {
        self.text.trim()
    }
}

/// Reads `xml` into its root element, or says why it is not well-formed XML.
pub(super) fn parse(xml: &str) -> Result<Element, String> {
    let mut reader = NsReader::from_str(xml);
    let mut open: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        let at = reader.buffer_position();
        let (namespace, event) = match reader.read_resolved_event() {
            Ok((namespace, event)) => (bound_namespace(namespace), event),
            Err(error) => return Err(format!("{error} at {}", line_and_column(xml, reader.error_position()))),
        };
        let fault = |reason: String| format!("{reason} at {}", line_and_column(xml, at));
        match event {
            Event::Start(start) => {
                if open.len() == ELEMENT_DEPTH_MAX {
                    return Err(fault(format!("elements nest deeper than {ELEMENT_DEPTH_MAX} levels")));
                }
                open.push(new_element(start.local_name().as_ref(), namespace));
            }
            Event::Empty(start) => {
                let element = new_element(start.local_name().as_ref(), namespace);
                close(element, &mut open, &mut root).map_err(&fault)?;
            }
            Event::End(_) => {
                let element = open.pop().expect("quick-xml refuses an end tag nothing opened");
                close(element, &mut open, &mut root).map_err(&fault)?;
            }
            Event::Text(text) => append_text(&mut open, &text.xml10_content()).map_err(&fault)?,
            Event::CData(data) => append_text(&mut open, &data.xml10_content()).map_err(&fault)?,
            Event::GeneralRef(reference) => {
                let text = resolve(&reference).map_err(&fault)?;
                append_text(&mut open, &text).map_err(&fault)?;
            }
            Event::Eof => break,
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_) => {}
        }
    }
    if let Some(unclosed) = open.last() {
        return Err(format!("the document ends inside <{}>", unclosed.name));
    }
    root.ok_or_else(|| "the document has no root element".to_string())
}

fn new_element(local_name: &str, namespace: Option<String>) -> Element {
    Element { name: local_name.to_string(), namespace, text: String::new(), children: vec![] }
}

fn bound_namespace(resolved: ResolveResult<'_>) -> Option<String> {
    match resolved {
        ResolveResult::Bound(namespace) => Some(namespace.as_ref().to_string()),
        ResolveResult::Unbound | ResolveResult::Unknown(_) => None,
    }
}

/// Hangs a finished element on its parent, or makes it the root if it has none.
fn close(element: Element, open: &mut [Element], root: &mut Option<Element>) -> Result<(), String> {
    match open.last_mut() {
        Some(parent) => parent.children.push(element),
        None if root.is_some() => return Err(format!("a second root element <{}>", element.name)),
        None => *root = Some(element),
    }
    Ok(())
}

fn append_text(open: &mut [Element], text: &str) -> Result<(), String> {
    match open.last_mut() {
        Some(element) => element.text.push_str(text),
        None if text.trim().is_empty() => {}
        None => return Err("text outside the root element".to_string()),
    }
    Ok(())
}

/// The text an entity or character reference stands for: only XML's five predefined
/// entities and character references exist, since no document type is ever read.
fn resolve(reference: &BytesRef<'_>) -> Result<String, String> {
    if let Some(character) = reference.resolve_char_ref().map_err(|error| error.to_string())? {
        return Ok(character.to_string());
    }
    quick_xml::escape::resolve_predefined_entity(reference)
        .map(str::to_string)
        .ok_or_else(|| format!("unknown entity &{};", &**reference))
}

fn line_and_column(xml: &str, offset: u64) -> String {
    let offset = usize::try_from(offset).unwrap_or(usize::MAX).min(xml.len());
    let before = &xml.as_bytes()[..offset];
    let line = before.iter().filter(|byte| **byte == b'\n').count() + 1;
    let column = before.iter().rev().take_while(|byte| **byte != b'\n').count() + 1;
    format!("line {line}, column {column}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_local_and_text_is_unescaped() {
        let xml = r#"<?xml version="1.0"?>
            <p:Doc xmlns:p="urn:x"><p:A>Kim &amp; Lee &#xAE40;<![CDATA[<b>]]></p:A><B/></p:Doc>"#;
        let root = parse(xml).unwrap();
        assert_eq!(root.name, "Doc");
        assert_eq!(root.namespace.as_deref(), Some("urn:x"));
        assert_eq!(root.text_at(&["A"]), Some("Kim & Lee 김<b>"));
        assert!(root.child("B").is_some() && root.text_at(&["B"]).is_none());
    }

    #[test]
    fn malformed_documents_say_what_and_where() {
        let cases = [
            ("<a><b></a>", "b"),
            ("<a>\n  <b>", "ends inside <b>"),
            ("<a/><b/>", "second root element <b>"),
            ("<a/>text", "text outside the root"),
            ("<a>&nbsp;</a>", "unknown entity &nbsp;"),
            ("", "no root element"),
        ];
        for (xml, expected) in cases {
            let error = parse(xml).unwrap_err();
            assert!(error.contains(expected), "{xml:?} gave {error:?}");
        }
        assert!(parse("<a>\n<b></c></a>").unwrap_err().contains("line 2"));
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = format!("{}{}", "<a>".repeat(ELEMENT_DEPTH_MAX + 1), "</a>".repeat(ELEMENT_DEPTH_MAX + 1));
        assert!(parse(&deep).unwrap_err().contains("deeper than"));
        let fine = format!("{}{}", "<a>".repeat(ELEMENT_DEPTH_MAX), "</a>".repeat(ELEMENT_DEPTH_MAX));
        assert!(parse(&fine).is_ok());
    }
}
