//! Reading files of the checked tree, which belongs to whoever wrote the pull request: a file is
//! read only when it is a regular file under the root. A symbolic link that leaves the root is
//! refused by name (its target is never opened, so its content cannot reach a report), and so is
//! anything that is not a regular file: a FIFO or a device would block the read forever.

use std::io::Read;
use std::path::{Component, Path, PathBuf};

/// Why a file of the tree was not read.
#[derive(Debug)]
pub enum Refused {
    /// A symbolic link whose target lies outside the checked root.
    LeavesRoot,
    /// A FIFO, socket, device or directory where a file was expected.
    NotRegular,
    /// Larger than the limit it was read with.
    TooLarge(u64),
    Io(std::io::Error),
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refused::LeavesRoot => {
                f.write_str("it is (or is reached through) a symbolic link out of the checked tree; it was not read")
            }
            Refused::NotRegular => f.write_str("it is not a regular file (a FIFO, socket or device); it was not read"),
            Refused::TooLarge(size) => write!(f, "{size} bytes is more than guardrail reads of such a file"),
            Refused::Io(error) => write!(f, "{error}"),
        }
    }
}

/// Whether `path`, followed through any symbolic links, stays under `root`.
pub fn stays_under(root: &Path, path: &Path) -> bool {
    match (root.canonicalize(), path.canonicalize()) {
        (Ok(root), Ok(target)) => target.starts_with(root),
        _ => false,
    }
}

/// Whether `path` lies in the tree at `root`, as written or through links (it need not exist).
pub fn is_within(root: &Path, path: &Path) -> bool {
    is_lexically_within(root, path) || stays_under(root, path)
}

/// Whether `path` as written (made absolute, links not followed) lies in the tree at `root`.
pub fn is_lexically_within(root: &Path, path: &Path) -> bool {
    match (std::path::absolute(root), std::path::absolute(path)) {
        (Ok(root), Ok(path)) => path.starts_with(root),
        _ => false,
    }
}

/// Reads `path`, which must be a regular file under `root` (through links, of the file or of a
/// directory on the way, that stay under it), of at most `limit` bytes.
pub fn read_under(root: &Path, path: &Path, limit: u64) -> Result<Vec<u8>, Refused> {
    std::fs::symlink_metadata(path).map_err(Refused::Io)?;
    if !stays_under(root, path) {
        return Err(Refused::LeavesRoot);
    }
    read_regular(path, limit)
}

/// Reads `path` if it is a regular file (after links) of at most `limit` bytes.
pub fn read_regular(path: &Path, limit: u64) -> Result<Vec<u8>, Refused> {
    let metadata = std::fs::metadata(path).map_err(Refused::Io)?;
    if !metadata.is_file() {
        return Err(Refused::NotRegular);
    }
    if metadata.len() > limit {
        return Err(Refused::TooLarge(metadata.len()));
    }
    let file = std::fs::File::open(path).map_err(Refused::Io)?;
    let mut bytes = Vec::with_capacity(metadata.len() as usize);
    // The file may grow between the check and the read: never read past the limit.
    file.take(limit + 1).read_to_end(&mut bytes).map_err(Refused::Io)?;
    if bytes.len() as u64 > limit {
        return Err(Refused::TooLarge(bytes.len() as u64));
    }
    Ok(bytes)
}

/// The bytes of a file read as UTF-8 text.
pub fn text(bytes: Result<Vec<u8>, Refused>) -> Result<String, Refused> {
    String::from_utf8(bytes?).map_err(|e| Refused::Io(std::io::Error::new(std::io::ErrorKind::InvalidData, e)))
}

/// `relative` joined to `root` when it names a place under it: relative, no `..` that climbs out.
/// Policy directories named in `guardrail.toml` go through here (the command line may name any).
pub fn inside(root: &Path, relative: &Path) -> Option<PathBuf> {
    let mut depth = 0usize;
    for component in relative.components() {
        match component {
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
            Component::ParentDir => depth = depth.checked_sub(1)?,
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(root.join(relative))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_from_the_tree_stay_inside_it() {
        let root = Path::new("/repo");
        assert_eq!(inside(root, Path::new("ci/policies")), Some(PathBuf::from("/repo/ci/policies")));
        assert_eq!(inside(root, Path::new("a/../b")), Some(PathBuf::from("/repo/a/../b")));
        assert_eq!(inside(root, Path::new("../..")), None);
        assert_eq!(inside(root, Path::new("a/../../b")), None);
        assert_eq!(inside(root, Path::new("/etc")), None);
    }

    #[cfg(unix)]
    #[test]
    fn links_out_of_the_root_fifos_and_large_files_are_refused() {
        let outside = tempfile::tempdir().unwrap();
        let root = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret"), "token").unwrap();
        std::fs::write(root.path().join("own"), "mine").unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret"), root.path().join("leak")).unwrap();
        std::os::unix::fs::symlink(root.path().join("own"), root.path().join("alias")).unwrap();
        let fifo = root.path().join("fifo");
        assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
        assert!(matches!(read_under(root.path(), &root.path().join("leak"), 100), Err(Refused::LeavesRoot)));
        assert_eq!(read_under(root.path(), &root.path().join("alias"), 100).unwrap(), b"mine");
        assert!(matches!(read_under(root.path(), &fifo, 100), Err(Refused::NotRegular)));
        assert!(matches!(read_under(root.path(), &root.path().join("own"), 3), Err(Refused::TooLarge(4))));
    }
}
