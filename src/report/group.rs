//! Identical findings across folders, grouped for the text report: a
//! fine-tune's 300 `checkpoint-*` folders share one broken template, and 300
//! copies of one code frame hide everything else. Findings are identical
//! when they have the same rule, severity, message, template name, probe,
//! detail and help, and point at the same line text and column of a file of
//! the same name. The first is printed in full; the rest become one line
//! naming how many more folders and a glob that covers them
//! (`outputs/checkpoint-*`).

use std::collections::HashMap;

use super::{location, position};
use crate::finding::Finding;
use crate::resolve::Report;

/// One printed finding and the folders of its identical copies.
pub(super) struct Group<'r> {
    pub first: &'r Finding,
    /// The other copies' folders, in report order.
    pub more: Vec<&'r str>,
}

/// What makes two findings in different folders the same finding.
#[derive(PartialEq, Eq, Hash)]
struct Key<'r> {
    message: &'r str,
    rule: crate::rule::Rule,
    severity: crate::finding::Severity,
    template: Option<&'r str>,
    probe: Option<&'r str>,
    detail: Option<&'r str>,
    help: Option<&'r str>,
    file_name: &'r str,
    at: Option<(&'r str, usize)>,
}

/// The findings in report order, identical ones folded into their first.
pub(super) fn groups(report: &Report) -> Vec<Group<'_>> {
    let mut out: Vec<Group<'_>> = Vec::new();
    let mut index: HashMap<Key<'_>, usize> = HashMap::new();
    for f in &report.findings {
        let (folder, file_name) = split(&f.path);
        let at = position(report, f).and_then(|p| {
            let text = report.sources.get(&f.path)?;
            Some((location::line_text(text, p.line), p.column))
        });
        let key = Key {
            message: f.message.as_str(),
            rule: f.rule,
            severity: f.severity,
            template: f.template.as_deref(),
            probe: f.probe.as_deref(),
            detail: f.detail.as_deref(),
            help: f.help.as_deref(),
            file_name,
            at,
        };
        match index.get(&key) {
            // Another folder: the same finding again. The same folder
            // (two spans on one line) stays a finding of its own.
            Some(&i) if split(&out[i].first.path).0 != folder => out[i].more.push(folder),
            Some(_) => out.push(Group {
                first: f,
                more: Vec::new(),
            }),
            None => {
                index.insert(key, out.len());
                out.push(Group {
                    first: f,
                    more: Vec::new(),
                });
            }
        }
    }
    out
}

/// A path's folder and file name (`a/b/c.json` → `a/b`, `c.json`).
fn split(path: &str) -> (&str, &str) {
    path.rsplit_once('/').unwrap_or((".", path))
}

/// A glob that covers `folders`: the segments they share, and for a segment
/// that differs the common start and end around a `*`
/// (`outputs/checkpoint-100`, `outputs/checkpoint-200` →
/// `outputs/checkpoint-*`); `**` where their depths differ.
pub(super) fn cover(folders: &[&str]) -> String {
    let split: Vec<Vec<&str>> = folders.iter().map(|f| f.split('/').collect()).collect();
    let Some(first) = split.first() else {
        return String::new();
    };
    let same_depth = split.iter().all(|s| s.len() == first.len());
    let mut out: Vec<String> = Vec::new();
    for (i, seg) in first.iter().enumerate() {
        let column: Vec<&str> = split.iter().filter_map(|s| s.get(i).copied()).collect();
        if column.len() == split.len() && column.iter().all(|s| s == seg) {
            out.push((*seg).to_string());
            continue;
        }
        if !same_depth {
            break;
        }
        out.push(wildcard(&column));
    }
    if !same_depth {
        out.push("**".to_string());
    }
    out.join("/")
}

/// `checkpoint-100`, `checkpoint-200` → `checkpoint-*`: the common start
/// and end of the names, never cutting a number in two (`checkpoint-1000`
/// and `checkpoint-1200` share `checkpoint-1…00`, but the glob a person
/// writes is `checkpoint-*`).
fn wildcard(names: &[&str]) -> String {
    let chars: Vec<Vec<char>> = names.iter().map(|n| n.chars().collect()).collect();
    let Some(first) = chars.first() else {
        return "*".to_string();
    };
    let shortest = chars.iter().map(Vec::len).min().unwrap_or(0);
    let same_at = |pick: &dyn Fn(&Vec<char>) -> Option<char>| {
        let c = pick(first);
        chars.iter().all(|n| pick(n) == c)
    };
    let mut prefix = 0;
    while prefix < shortest && same_at(&|n: &Vec<char>| n.get(prefix).copied()) {
        prefix += 1;
    }
    let digit_at = |n: &Vec<char>, i: usize| n.get(i).is_some_and(char::is_ascii_digit);
    while prefix > 0 && digit_at(first, prefix - 1) && chars.iter().any(|n| digit_at(n, prefix)) {
        prefix -= 1;
    }
    let mut suffix = 0;
    while suffix < shortest - prefix
        && same_at(&|n: &Vec<char>| n.get(n.len() - 1 - suffix).copied())
    {
        suffix += 1;
    }
    while suffix > 0
        && digit_at(first, first.len() - suffix)
        && chars
            .iter()
            .any(|n| n.len() > suffix && digit_at(n, n.len() - suffix - 1))
    {
        suffix -= 1;
    }
    let head: String = first[..prefix].iter().collect();
    let tail: String = first[first.len() - suffix..].iter().collect();
    format!("{head}*{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn covers_folders_with_a_glob() {
        assert_eq!(
            cover(&["outputs/checkpoint-100", "outputs/checkpoint-200"]),
            "outputs/checkpoint-*"
        );
        assert_eq!(
            cover(&["outputs/checkpoint-100", "outputs/checkpoint-1200"]),
            "outputs/checkpoint-*"
        );
        assert_eq!(cover(&["run-1-final", "run-22-final"]), "run-*-final");
        assert_eq!(cover(&["a/x/m", "a/y/m"]), "a/*/m");
        assert_eq!(cover(&["a/b", "a/b/c"]), "a/b/**");
        assert_eq!(cover(&["run1", "run12"]), "run*");
        assert_eq!(cover(&["v1a", "v1b"]), "v1*");
        assert_eq!(cover(&["ab", "b"]), "*b");
    }
}
