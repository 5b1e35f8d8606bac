//! Atomic, all-or-nothing output. Every file is written to a temporary file
//! in its target directory and renamed into place only once all of them are
//! complete; keys get mode 0600; nothing is overwritten without `force`.
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::WriteError;

/// Who may read a file once written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Certificates and other public material: 0644.
    Public,
    /// Private keys, PFX files and anything with a secret: 0600.
    Secret,
}

/// One file to write.
pub struct OutFile {
    pub path: PathBuf,
    pub bytes: zeroize::Zeroizing<Vec<u8>>,
    pub mode: Mode,
}

/// A set of files written together: either all land or none does.
#[derive(Default)]
pub struct WriteSet {
    files: Vec<OutFile>,
}

impl WriteSet {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, path: impl Into<PathBuf>, bytes: impl Into<Vec<u8>>, mode: Mode) {
        self.files.push(OutFile {
            path: path.into(),
            bytes: zeroize::Zeroizing::new(bytes.into()),
            mode,
        });
    }

    pub fn paths(&self) -> impl Iterator<Item = &Path> {
        self.files.iter().map(|f| f.path.as_path())
    }

    /// Fail before writing anything if a target exists and `force` is off.
    pub fn check_clobber(&self, force: bool) -> Result<(), WriteError> {
        if force {
            return Ok(());
        }
        for f in &self.files {
            if f.path.symlink_metadata().is_ok() {
                return Err(WriteError::Exists {
                    path: f.path.clone(),
                });
            }
        }
        Ok(())
    }

    /// Write every file. On any failure, temporary files are removed and files
    /// this call already renamed into a fresh place are removed again.
    /// Output directories this call creates are removed again on failure.
    pub fn commit(self, force: bool) -> Result<Vec<PathBuf>, WriteError> {
        let mut created: Vec<PathBuf> = Vec::new();
        let result = self.commit_inner(force, &mut created);
        if result.is_err() {
            // Deepest first; remove_dir only succeeds on empty directories.
            for d in created.iter().rev() {
                let _ = std::fs::remove_dir(d);
            }
        }
        result
    }

    fn commit_inner(
        &self,
        force: bool,
        created: &mut Vec<PathBuf>,
    ) -> Result<Vec<PathBuf>, WriteError> {
        self.check_clobber(force)?;
        // A target that is a character device or a FIFO (`-o /dev/null`,
        // `-o /dev/stdout`, a named pipe) is written into, never replaced:
        // renaming a temporary file over it would put a regular file where
        // the device was. Such writes come last, once every regular file
        // has landed, as they cannot be taken back.
        let mut direct: Vec<&OutFile> = Vec::new();
        let mut regular: Vec<&OutFile> = Vec::new();
        for f in &self.files {
            match target_kind(&f.path)? {
                Target::Replace => regular.push(f),
                Target::WriteInto => direct.push(f),
            }
        }
        let mut staged = Vec::with_capacity(regular.len());
        for f in regular.iter().copied() {
            let dir = parent_dir(&f.path);
            let mut missing: Vec<PathBuf> = dir
                .ancestors()
                .take_while(|a| !a.as_os_str().is_empty() && a.symlink_metadata().is_err())
                .map(Path::to_path_buf)
                .collect();
            std::fs::create_dir_all(dir).map_err(|source| WriteError::Io {
                path: dir.to_path_buf(),
                cause: plain(source),
            })?;
            missing.reverse();
            created.extend(missing);
            // tempfile creates the file 0600 from the start, so a key is never
            // readable by others, whatever the umask.
            let mut tmp = tempfile::Builder::new()
                .prefix(".chainsmith-")
                .suffix(".tmp")
                .tempfile_in(dir)
                .map_err(|source| WriteError::Io {
                    path: f.path.clone(),
                    cause: plain(source),
                })?;
            let io = |source| WriteError::Io {
                path: f.path.clone(),
                cause: plain(source),
            };
            tmp.write_all(&f.bytes).map_err(io)?;
            set_mode(tmp.path(), f.mode).map_err(io)?;
            staged.push(tmp);
        }
        flush(&staged, &regular)?;
        let mut done: Vec<PathBuf> = Vec::with_capacity(self.files.len());
        for (tmp, f) in staged.into_iter().zip(regular.iter().copied()) {
            let result = if force {
                tmp.persist(&f.path).map(|_| ())
            } else {
                tmp.persist_noclobber(&f.path).map(|_| ())
            };
            if let Err(e) = result {
                if !force {
                    for p in &done {
                        let _ = std::fs::remove_file(p);
                    }
                }
                if e.error.kind() == std::io::ErrorKind::AlreadyExists {
                    return Err(WriteError::Exists {
                        path: f.path.clone(),
                    });
                }
                return Err(WriteError::Io {
                    path: f.path.clone(),
                    cause: e.error,
                });
            }
            done.push(f.path.clone());
        }
        if let Some(first) = done.first() {
            // Make the renames durable.
            if let Ok(d) = std::fs::File::open(parent_dir(first)) {
                let _ = d.sync_all();
            }
        }
        for f in direct {
            let io = |source| WriteError::Io {
                path: f.path.clone(),
                cause: plain(source),
            };
            let mut out = std::fs::OpenOptions::new()
                .write(true)
                .open(&f.path)
                .map_err(io)?;
            out.write_all(&f.bytes).map_err(io)?;
            done.push(f.path.clone());
        }
        Ok(done)
    }
}

/// From this many files on, a write set is flushed with one `syncfs` per file
/// system instead of one `fsync` per file. Below it, per-file flushes touch
/// nothing but our own data; above it, one journal commit beats many (a
/// `convert --to der -o DIR` of a 144-root store: see docs/performance.md).
#[cfg(target_os = "linux")]
const SYNCFS_FROM: usize = 16;

/// Make every staged file durable before any rename.
fn flush(staged: &[tempfile::NamedTempFile], files: &[&OutFile]) -> Result<(), WriteError> {
    #[cfg(target_os = "linux")]
    if staged.len() >= SYNCFS_FROM {
        return flush_by_file_system(staged, files);
    }
    flush_each(staged, files)
}

/// One `syncfs` for each file system the staged files live on (usually one).
/// It flushes every dirty file of that file system, ours among them, and
/// reports write-back errors since the file was opened (Linux 5.8 and later).
#[cfg(target_os = "linux")]
fn flush_by_file_system(
    staged: &[tempfile::NamedTempFile],
    files: &[&OutFile],
) -> Result<(), WriteError> {
    use std::os::unix::fs::MetadataExt;
    let mut synced: Vec<u64> = Vec::new();
    for (tmp, f) in staged.iter().zip(files) {
        let io = |source: std::io::Error| WriteError::Io {
            path: f.path.clone(),
            cause: plain(source),
        };
        let dev = tmp.as_file().metadata().map_err(io)?.dev();
        if !synced.contains(&dev) {
            match rustix::fs::syncfs(tmp.as_file()) {
                Ok(()) => synced.push(dev),
                // A sandbox that filters the call (seccomp) or a kernel
                // without it: flush file by file instead.
                Err(e)
                    if e == rustix::io::Errno::NOSYS
                        || e == rustix::io::Errno::PERM
                        || e == rustix::io::Errno::ACCESS =>
                {
                    return flush_each(staged, files);
                }
                Err(e) => return Err(io(e.into())),
            }
        }
    }
    Ok(())
}

/// `fsync` every file, on up to 16 threads: they wait on the disk, not the
/// CPU, and the file system batches concurrent flushes into fewer commits.
fn flush_each(staged: &[tempfile::NamedTempFile], files: &[&OutFile]) -> Result<(), WriteError> {
    let chunk = staged.len().div_ceil(16).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = staged
            .chunks(chunk)
            .zip(files.chunks(chunk))
            .map(|(tmps, files)| {
                scope.spawn(move || {
                    for (tmp, f) in tmps.iter().zip(files) {
                        tmp.as_file().sync_all().map_err(|source| WriteError::Io {
                            path: f.path.clone(),
                            cause: plain(source),
                        })?;
                    }
                    Ok(())
                })
            })
            .collect();
        handles.into_iter().try_for_each(|h| {
            h.join().unwrap_or_else(|_| {
                Err(WriteError::Io {
                    path: PathBuf::new(),
                    cause: std::io::Error::other("a flush thread failed"),
                })
            })
        })
    })
}

/// How a target path is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    /// Absent or a regular file (or a symlink to one): a temporary file
    /// renamed into place.
    Replace,
    /// An existing character device or FIFO (followed through symlinks,
    /// as `/dev/stdout` is one): opened and written into.
    WriteInto,
}

fn target_kind(path: &Path) -> Result<Target, WriteError> {
    let err = |why: &str| WriteError::Io {
        path: path.to_path_buf(),
        cause: std::io::Error::other(why.to_owned()),
    };
    let Ok(meta) = std::fs::metadata(path) else {
        return Ok(Target::Replace);
    };
    if meta.is_file() {
        return Ok(Target::Replace);
    }
    if meta.is_dir() {
        return Err(err("is a directory"));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_char_device() || t.is_fifo() {
            return Ok(Target::WriteInto);
        }
    }
    Err(err(
        "is not a regular file, character device or FIFO; refusing to replace it",
    ))
}

/// tempfile decorates I/O errors with the temporary file's path (twice in an
/// error chain); keep just the operating system's reason, as the final path
/// is already in the message.
fn plain(e: std::io::Error) -> std::io::Error {
    if let Some(code) = e.raw_os_error() {
        return std::io::Error::from_raw_os_error(code);
    }
    let inner_code = e
        .get_ref()
        .and_then(|inner| inner.source())
        .and_then(|src| src.downcast_ref::<std::io::Error>())
        .and_then(std::io::Error::raw_os_error);
    match inner_code {
        Some(code) => std::io::Error::from_raw_os_error(code),
        None if e.get_ref().is_some() => {
            let text = e.to_string();
            match text.find(" at path ") {
                Some(i) => std::io::Error::new(e.kind(), text[..i].to_owned()),
                None => e,
            }
        }
        None => e,
    }
}

fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: Mode) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let bits = match mode {
        Mode::Public => 0o644,
        Mode::Secret => 0o600,
    };
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(bits))
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _mode: Mode) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_to_clobber_and_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("b.crt"), "old").unwrap();
        let mut set = WriteSet::new();
        set.add(dir.path().join("a.crt"), b"new".to_vec(), Mode::Public);
        set.add(dir.path().join("b.crt"), b"new".to_vec(), Mode::Public);
        let err = set.commit(false).unwrap_err();
        assert!(matches!(err, WriteError::Exists { .. }));
        assert!(!dir.path().join("a.crt").exists());
        assert_eq!(std::fs::read(dir.path().join("b.crt")).unwrap(), b"old");
        let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn secret_files_are_0600_and_public_0644() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let mut set = WriteSet::new();
        set.add(dir.path().join("k.key"), b"k".to_vec(), Mode::Secret);
        set.add(dir.path().join("c.crt"), b"c".to_vec(), Mode::Public);
        set.commit(false).unwrap();
        let m = |n: &str| {
            std::fs::metadata(dir.path().join(n))
                .unwrap()
                .permissions()
                .mode()
                & 0o777
        };
        assert_eq!(m("k.key"), 0o600);
        assert_eq!(m("c.crt"), 0o644);
    }

    /// Both flush strategies (one fsync per file below the threshold, one
    /// syncfs from it on) land every file whole, with its mode, and leave no
    /// temporary file behind; replacing with `force` works on both paths.
    #[cfg(unix)]
    #[test]
    fn small_and_large_sets_land_whole_on_either_flush_path() {
        use std::os::unix::fs::PermissionsExt;
        for n in [1, 15, 16, 40] {
            let dir = tempfile::tempdir().unwrap();
            for round in 0..2u8 {
                let mut set = WriteSet::new();
                for i in 0..n {
                    let mode = if i % 5 == 0 {
                        Mode::Secret
                    } else {
                        Mode::Public
                    };
                    let body = vec![round.wrapping_add(i as u8); 1000 + i];
                    set.add(dir.path().join(format!("f{i}.cer")), body, mode);
                }
                let done = set.commit(round == 1).unwrap();
                assert_eq!(done.len(), n, "{n} files");
            }
            let mut names: Vec<String> = std::fs::read_dir(dir.path())
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            assert_eq!(names.len(), n, "only the final files remain: {names:?}");
            for i in 0..n {
                let path = dir.path().join(format!("f{i}.cer"));
                let bytes = std::fs::read(&path).unwrap();
                assert_eq!(bytes, vec![1u8.wrapping_add(i as u8); 1000 + i]);
                let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
                assert_eq!(mode, if i % 5 == 0 { 0o600 } else { 0o644 });
            }
        }
    }

    /// `-o /dev/null` and friends: a character device is written into, not
    /// replaced (checked without writing to it).
    #[cfg(unix)]
    #[test]
    fn a_character_device_is_written_into() {
        assert_eq!(
            target_kind(Path::new("/dev/null")).unwrap(),
            Target::WriteInto
        );
        assert_eq!(
            target_kind(Path::new("/no/such/file")).unwrap(),
            Target::Replace
        );
        let dir = tempfile::tempdir().unwrap();
        assert!(target_kind(dir.path()).is_err(), "a directory is refused");
    }

    /// A FIFO target stays a FIFO and its reader gets the bytes; the regular
    /// file of the same set lands as usual; a directory target fails the set
    /// before anything is written.
    #[cfg(unix)]
    #[test]
    fn a_fifo_target_stays_a_fifo() {
        use std::io::Read;
        use std::os::unix::fs::FileTypeExt;
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success(), "mkfifo failed");
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || {
                let mut got = Vec::new();
                std::fs::File::open(fifo)
                    .unwrap()
                    .read_to_end(&mut got)
                    .unwrap();
                got
            })
        };
        let mut set = WriteSet::new();
        set.add(&fifo, b"through the pipe".to_vec(), Mode::Public);
        set.add(dir.path().join("a.crt"), b"a".to_vec(), Mode::Public);
        let done = set.commit(true).unwrap();
        assert_eq!(done.len(), 2);
        assert_eq!(reader.join().unwrap(), b"through the pipe");
        assert!(
            std::fs::symlink_metadata(&fifo)
                .unwrap()
                .file_type()
                .is_fifo()
        );
        assert_eq!(std::fs::read(dir.path().join("a.crt")).unwrap(), b"a");

        let mut set = WriteSet::new();
        set.add(dir.path().join("b.crt"), b"b".to_vec(), Mode::Public);
        set.add(dir.path(), b"x".to_vec(), Mode::Public);
        assert!(set.commit(true).is_err());
        assert!(!dir.path().join("b.crt").exists());
    }
}
