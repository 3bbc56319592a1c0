//! The one place `--fix` writes: each changed file replaced atomically.
//!
//! The new text goes to a temporary file in the same folder (a rename
//! across file systems is not atomic), which gets the old file's
//! permissions, is flushed to disk, and is renamed over the old file — a
//! reader sees the old file or the new one, never half of one. Just before
//! the rename the file is read again: when its bytes are no longer the ones
//! the fix was computed from (an editor saved it meanwhile), it is left alone
//! and the fix is reported as not applied. A file the fix creates
//! (generation_config.json) must still not exist. A symbolic link is not
//! replaced: renaming over it would turn it into a file, and writing through
//! it would change its target for every other link (the Hugging Face cache
//! links each snapshot's files to shared blobs).

use std::io::Write;
use std::path::{Path, PathBuf};

/// One file as the fix wants it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileChange {
    /// Where to write, as the process opens it.
    pub path: PathBuf,
    /// As reports show it (relative to the scan root).
    pub display: String,
    /// The text the fix was computed from; `None` for a new file.
    pub before: Option<String>,
    pub after: String,
}

/// Why a file was not written.
#[derive(Debug)]
pub enum NotWritten {
    /// The file changed (or appeared) after it was read.
    Changed,
    /// The path is a symbolic link.
    Symlink,
    Io(std::io::Error),
}

impl std::fmt::Display for NotWritten {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotWritten::Changed => f.write_str("the file changed after it was read"),
            NotWritten::Symlink => f.write_str("it is a symbolic link"),
            NotWritten::Io(e) => write!(f, "{e}"),
        }
    }
}

/// Write `change` atomically, unless the file is no longer what it was.
pub fn write(change: &FileChange) -> Result<(), NotWritten> {
    if std::fs::symlink_metadata(&change.path).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(NotWritten::Symlink);
    }
    let dir = change
        .path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = change
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = temp_path(dir, &name);
    let result = write_temp(&temp, change).and_then(|()| {
        unchanged(change)?;
        std::fs::rename(&temp, &change.path).map_err(NotWritten::Io)
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

/// The file holds what the fix was computed from (or, for a new file, does
/// not exist). Read through the one reader (`files`): a name swapped
/// for a FIFO or a device since loading is "changed", never a blocking read.
fn unchanged(change: &FileChange) -> Result<(), NotWritten> {
    use crate::files::{read_capped, ReadFail};
    match (
        &change.before,
        read_capped(&change.path, crate::load::MAX_FILE_BYTES),
    ) {
        (Some(before), Ok(now)) if now == before.as_bytes() => Ok(()),
        (None, Err(ReadFail::Missing)) => Ok(()),
        (Some(_), Err(ReadFail::Io(e))) => Err(NotWritten::Io(e)),
        _ => Err(NotWritten::Changed),
    }
}

fn write_temp(temp: &Path, change: &FileChange) -> Result<(), NotWritten> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(temp)
        .map_err(NotWritten::Io)?;
    file.write_all(change.after.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(NotWritten::Io)?;
    // Keep the old file's permissions (a new file keeps the umask's).
    if let Ok(meta) = std::fs::metadata(&change.path) {
        std::fs::set_permissions(temp, meta.permissions()).map_err(NotWritten::Io)?;
    }
    Ok(())
}

/// A name next to `name` that no other run picks at the same moment.
fn temp_path(dir: &Path, name: &str) -> PathBuf {
    use std::hash::{BuildHasher, Hasher};
    let nonce = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    dir.join(format!(".{name}.{}.{nonce:016x}.tmp", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_atomically_and_refuses_a_changed_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.jinja");
        std::fs::write(&path, "old").expect("write");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).expect("chmod");
        }
        let change = FileChange {
            path: path.clone(),
            display: "t.jinja".into(),
            before: Some("old".into()),
            after: "new".into(),
        };
        write(&change).expect("written");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "new");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o640);
        }
        // Now the file is "new", not the "old" the change was computed from.
        assert!(matches!(write(&change), Err(NotWritten::Changed)));
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "new");
        let created = FileChange {
            before: None,
            ..change
        };
        assert!(matches!(write(&created), Err(NotWritten::Changed)));
        let leftovers = std::fs::read_dir(dir.path()).expect("dir").count();
        assert_eq!(leftovers, 1, "no temporary file is left behind");
    }

    #[cfg(unix)]
    #[test]
    fn a_symbolic_link_is_not_replaced() {
        let dir = tempfile::tempdir().expect("tempdir");
        let blob = dir.path().join("blob");
        std::fs::write(&blob, "old").expect("write");
        let link = dir.path().join("t.jinja");
        std::os::unix::fs::symlink(&blob, &link).expect("symlink");
        let change = FileChange {
            path: link.clone(),
            display: "t.jinja".into(),
            before: Some("old".into()),
            after: "new".into(),
        };
        assert!(matches!(write(&change), Err(NotWritten::Symlink)));
        assert_eq!(std::fs::read_to_string(&blob).expect("read"), "old");
        assert!(std::fs::symlink_metadata(&link)
            .expect("meta")
            .file_type()
            .is_symlink());
    }
}
