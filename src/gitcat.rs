//! Reading files at a git ref for `--baseline-ref` in a fixed number of git
//! processes, whatever the number of folders (issue 17: two processes per
//! folder made a 1,000-folder run 2.7× slower).
//!
//! `git ls-tree -r -z COMMIT` runs once and keeps the files that can hold a
//! chat template; one long-running `git cat-file --batch` then serves every
//! blob the run asks for. Its protocol (git-cat-file(1), "BATCH OUTPUT"):
//! each input line is an object name (a whole line, spaces included); the
//! answer is `<oid> SP <type> SP <size> LF <contents> LF`, or
//! `<object> SP missing LF` (also `ambiguous`).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use anyhow::{bail, Context, Result};

/// File names that hold a folder's templates (besides `additional_chat_templates/`).
const TEMPLATE_FILES: [&str; 3] = [
    "tokenizer_config.json",
    "chat_template.jinja",
    "chat_template.json",
];
const ADDITIONAL: &str = "additional_chat_templates";

/// `git -C dir` with prompts off (a CI job must never wait for a password).
pub fn command(dir: &Path) -> Command {
    let mut c = Command::new("git");
    c.arg("-C").arg(dir).env("GIT_TERMINAL_PROMPT", "0");
    c
}

/// The template files of a commit: repo-relative path → blob id.
#[derive(Debug, Default)]
pub struct TemplateFiles {
    blobs: BTreeMap<String, String>,
}

impl TemplateFiles {
    /// List `commit`'s tree once, streaming (a monorepo's listing can be
    /// large; only template files are kept).
    pub fn list(top: &Path, commit: &str) -> Result<TemplateFiles> {
        let mut child = command(top)
            .args(["ls-tree", "-r", "-z", "--full-tree", commit])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .context("cannot run `git` (is it installed?)")?;
        let mut files = TemplateFiles::default();
        if let Some(out) = child.stdout.take() {
            let mut out = BufReader::new(out);
            let mut entry = Vec::new();
            while out.read_until(0, &mut entry)? > 0 {
                if entry.last() == Some(&0) {
                    entry.pop();
                }
                files.add(&String::from_utf8_lossy(&entry));
                entry.clear();
            }
        }
        let done = child.wait_with_output()?;
        if !done.status.success() {
            bail!(
                "git ls-tree failed: {}",
                String::from_utf8_lossy(&done.stderr).trim()
            );
        }
        Ok(files)
    }

    /// One `<mode> SP <type> SP <oid> TAB <path>` entry.
    fn add(&mut self, entry: &str) {
        let Some((meta, path)) = entry.split_once('\t') else {
            return;
        };
        let mut meta = meta.split(' ');
        let (Some(_mode), Some("blob"), Some(oid)) = (meta.next(), meta.next(), meta.next()) else {
            return;
        };
        let (parent, name) = path.rsplit_once('/').unwrap_or(("", path));
        let additional = parent.split('/').any(|c| c == ADDITIONAL);
        if additional || TEMPLATE_FILES.contains(&name) {
            self.blobs.insert(path.to_string(), oid.to_string());
        }
    }

    /// The template files of `folder` (repo-relative, `""` for the top):
    /// (path inside the folder, blob id), as `ls-tree` of those names lists them.
    pub fn in_folder(&self, folder: &str) -> Vec<(&str, &str)> {
        let prefix = if folder.is_empty() {
            String::new()
        } else {
            format!("{folder}/")
        };
        let files = TEMPLATE_FILES.iter().filter_map(|name| {
            self.blobs
                .get_key_value(&format!("{prefix}{name}"))
                .map(|(path, oid)| (&path[prefix.len()..], oid.as_str()))
        });
        let dir = format!("{prefix}{ADDITIONAL}/");
        let additional = self
            .blobs
            .range(dir.clone()..)
            .take_while(|(path, _)| path.starts_with(&dir))
            .map(|(path, oid)| (&path[prefix.len()..], oid.as_str()));
        let mut all: Vec<(&str, &str)> = files.chain(additional).collect();
        all.sort();
        all
    }
}

/// A running `git cat-file --batch`.
#[derive(Debug)]
pub struct CatFile {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
}

impl CatFile {
    pub fn spawn(top: &Path) -> Result<CatFile> {
        let mut child = command(top)
            .args(["cat-file", "--batch"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot run `git` (is it installed?)")?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            bail!("git cat-file: no pipe");
        };
        Ok(CatFile {
            child,
            stdin: Some(stdin),
            stdout: BufReader::new(stdout),
        })
    }

    /// The contents of blob `object` (an id, or `COMMIT:path`); `None` when it
    /// is missing, not a blob, or the name cannot be sent on one line.
    pub fn blob(&mut self, object: &str) -> Option<Vec<u8>> {
        if object.contains('\n') {
            return None;
        }
        let stdin = self.stdin.as_mut()?;
        writeln!(stdin, "{object}").ok()?;
        stdin.flush().ok()?;
        let mut header = String::new();
        self.stdout.read_line(&mut header).ok()?;
        let mut fields = header.trim_end_matches('\n').rsplitn(3, ' ');
        let size = fields.next()?.parse::<usize>().ok()?;
        let kind = fields.next()?;
        let is_blob = kind == "blob";
        // Read the contents (and the LF after them) even when unused, so the
        // next answer starts where it should. A blob past the size cap of
        // the files the tool reads (`files`) is skipped, not held.
        if size as u64 > crate::load::MAX_FILE_BYTES {
            let skipped = std::io::copy(
                &mut (&mut self.stdout).take(size as u64 + 1),
                &mut std::io::sink(),
            );
            return skipped.ok().and(None);
        }
        let mut contents = vec![0; size + 1];
        self.stdout.read_exact(&mut contents).ok()?;
        contents.pop();
        is_blob.then_some(contents)
    }
}

impl Drop for CatFile {
    fn drop(&mut self) {
        // End of input ends the process.
        drop(self.stdin.take());
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_template_files_by_folder() {
        let mut files = TemplateFiles::default();
        for entry in [
            "100644 blob aa\tm/a/tokenizer_config.json",
            "100644 blob bb\tm/a/tokenizer.json",
            "100644 blob cc\tm/a/additional_chat_templates/tool_use.jinja",
            "100644 blob dd\tm/a/chat_template.jinja",
            "160000 commit ee\tm/a/chat_template.json",
            "100644 blob ff\tm/ab/chat_template.jinja",
            "100644 blob 11\ttokenizer_config.json",
        ] {
            files.add(entry);
        }
        assert_eq!(
            files.in_folder("m/a"),
            [
                ("additional_chat_templates/tool_use.jinja", "cc"),
                ("chat_template.jinja", "dd"),
                ("tokenizer_config.json", "aa"),
            ]
        );
        assert_eq!(files.in_folder(""), [("tokenizer_config.json", "11")]);
        assert!(files.in_folder("m").is_empty());
    }

    #[test]
    fn batch_answers_stay_in_step() {
        let repo = tempfile::tempdir().expect("tempdir");
        let top = repo.path();
        let git = |args: &[&str]| {
            command(top)
                .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
                .args(args)
                .output()
                .is_ok_and(|o| o.status.success())
        };
        if !git(&["init", "-q"]) {
            println!("SKIPPED: git is not available");
            return;
        }
        std::fs::create_dir_all(top.join("a b")).expect("mkdir");
        std::fs::write(top.join("a b/chat_template.jinja"), "{{ x }}\n").expect("write");
        std::fs::write(top.join("loose.jinja"), "").expect("write");
        assert!(git(&["add", "-A"]) && git(&["commit", "-q", "-m", "x"]));
        let mut cat = CatFile::spawn(top).expect("spawn");
        let files = TemplateFiles::list(top, "HEAD").expect("ls-tree");
        let [(name, oid)] = files.in_folder("a b")[..] else {
            panic!("{files:?}");
        };
        assert_eq!(name, "chat_template.jinja");
        assert_eq!(cat.blob(oid).as_deref(), Some(&b"{{ x }}\n"[..]));
        // A tree, a missing file and an empty blob, then a blob again.
        assert_eq!(cat.blob("HEAD:a b"), None);
        assert_eq!(cat.blob("HEAD:nope.jinja"), None);
        assert_eq!(cat.blob("HEAD:loose.jinja").as_deref(), Some(&b""[..]));
        assert_eq!(cat.blob("HEAD:a\nb"), None);
        assert_eq!(
            cat.blob("HEAD:a b/chat_template.jinja").as_deref(),
            Some(&b"{{ x }}\n"[..])
        );
    }
}
