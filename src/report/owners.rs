//! Which checked model folders a finding's file lies in, looked up in a map
//! built once per report, so a report over 10,000 folders costs a few map
//! probes per finding instead of a scan of every folder (issue 17: JUnit
//! and the step summary were quadratic).

use std::collections::HashMap;

use crate::resolve::CheckedModel;

/// Folder path → index in `report.models` (the last one, when two share a path).
#[derive(Debug)]
pub struct Owners<'a> {
    by_dir: HashMap<&'a str, usize>,
}

impl<'a> Owners<'a> {
    pub fn new(models: &'a [CheckedModel]) -> Self {
        let by_dir = models
            .iter()
            .enumerate()
            .map(|(i, m)| (m.rel_dir.as_str(), i))
            .collect();
        Owners { by_dir }
    }

    /// The checked entries holding `path`, deepest first: a loose file
    /// checked on its own (its `rel_dir` is the file), every `/`-prefix of it
    /// that is a checked folder, then the scan root (`.`) when it is one and
    /// the path is inside it (not `../…`).
    pub fn containing<'p>(&'p self, path: &'p str) -> impl Iterator<Item = usize> + 'p {
        let itself = self.by_dir.get(path).copied();
        let prefixes = path
            .rmatch_indices('/')
            .map(move |(at, _)| &path[..at])
            .filter(|dir| *dir != ".")
            .filter_map(move |dir| self.by_dir.get(dir).copied());
        let inside = !path.starts_with("../") && path != ".";
        let root = self.by_dir.get(".").copied().filter(|_| inside);
        itself.into_iter().chain(prefixes).chain(root)
    }

    /// The folder a finding in `path` belongs to: the deepest one holding it.
    pub fn owner(&self, path: &str) -> Option<usize> {
        self.containing(path).next()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(rel_dir: &str) -> CheckedModel {
        CheckedModel {
            rel_dir: rel_dir.into(),
            templates: vec![],
        }
    }

    #[test]
    fn deepest_folder_first_then_the_root() {
        let models = [model("."), model("a"), model("a/b"), model("ab")];
        let owners = Owners::new(&models);
        let all = |p| owners.containing(p).collect::<Vec<_>>();
        assert_eq!(all("a/b/c/x.json"), [2, 1, 0]);
        assert_eq!(all("ab/x.json"), [3, 0]);
        assert_eq!(all("a/bx.json"), [1, 0]);
        assert_eq!(all("x.json"), [0]);
        assert_eq!(owners.owner("a/b/x"), Some(2));
        let loose = [model("."), model("t/x.jinja")];
        let owners = Owners::new(&loose);
        assert_eq!(owners.containing("t/x.jinja").collect::<Vec<_>>(), [1, 0]);
        assert_eq!(owners.owner("../base/x.jinja"), None);
        let no_root = [model("a")];
        assert_eq!(Owners::new(&no_root).owner("b/x"), None);
    }
}
