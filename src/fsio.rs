//! Atomic, all-or-nothing output that another local user cannot hijack.
//!
//! A [`WriteSet`] is every file one command writes. It is written like this
//! (see docs/robustness.md, "File safety", for the guarantee in full):
//!
//! 1. **Plan.** Two outputs that resolve to the same file are refused, and
//!    so is an existing target without `force`. A target that is a FIFO or a
//!    character device (`-o /dev/stdout`) is written into, never replaced,
//!    and only with public bytes: a private key goes only into a regular file
//!    that chainsmith creates, never into a FIFO, device or symbolic link.
//! 2. **Stage.** Each output directory is opened once and locked (`flock`);
//!    every file is created inside it by descriptor (`openat` with
//!    `O_CREAT|O_EXCL|O_NOFOLLOW`, mode 0600), given its final mode with
//!    `fchmod` on the descriptor, written and flushed. Nothing is done by
//!    path that a swapped name could redirect.
//! 3. **Commit.** A journal naming every (temporary, final) pair is written,
//!    flushed and renamed into place as `.chainsmith-journal` in each
//!    directory of the set: that rename is the commit point. Then every
//!    temporary file is renamed over its final name, the directories are
//!    flushed, and the journal is removed.
//! 4. **Recover.** Before a set is planned or staged in a directory, a
//!    journal left there by a killed run is completed (every temporary file
//!    it names that still exists is renamed into place) and temporary files
//!    of dead runs are removed. So a kill at any instant leaves the old set,
//!    or the new set once the next write into that directory has run: never
//!    a new certificate beside an old key.
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

/// The name under which a committed set's journal lives in each directory.
pub const JOURNAL: &str = ".chainsmith-journal";
/// Temporary files are `.chainsmith-<random>.tmp`.
const TMP_PREFIX: &str = ".chainsmith-";
const TMP_SUFFIX: &str = ".tmp";

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

    /// Check the plan before any slow work or prompt: complete sets that a
    /// killed run left in the target directories, refuse two outputs that
    /// resolve to one file, targets that cannot take their bytes, and
    /// existing targets when `force` is off.
    pub fn check_clobber(&self, force: bool) -> Result<(), WriteError> {
        // Devices and FIFOs (`-o /dev/stdout`) are written into: their
        // directories are not ours to recover.
        let mut dirs = Vec::with_capacity(self.files.len());
        for f in &self.files {
            if target_kind(&f.path)? != Target::WriteInto {
                dirs.push(parent_dir(&f.path));
            }
        }
        imp::recover_dirs(dirs.into_iter())?;
        self.check_plan()?;
        for f in &self.files {
            let kind = target_kind(&f.path)?;
            if f.mode == Mode::Secret && kind != Target::Absent && kind != Target::Regular {
                return Err(WriteError::Io {
                    path: f.path.clone(),
                    cause: std::io::Error::other(
                        "is not a regular file; a private key is written only into a regular file chainsmith creates, never through a link or into a FIFO or device",
                    ),
                });
            }
            if !force && kind != Target::Absent {
                return Err(WriteError::Exists {
                    path: f.path.clone(),
                });
            }
        }
        Ok(())
    }

    /// Two outputs may not name the same file, by any spelling: the same
    /// directory (by device and inode) and name, or an existing target that
    /// two names reach through links.
    fn check_plan(&self) -> Result<(), WriteError> {
        let mut seen: Vec<(Identity, &Path)> = Vec::with_capacity(self.files.len() * 2);
        for f in &self.files {
            for id in identities(&f.path) {
                if let Some((_, first)) = seen.iter().find(|(s, _)| *s == id) {
                    return Err(WriteError::SameTarget {
                        first: first.to_path_buf(),
                        second: f.path.clone(),
                    });
                }
                seen.push((id, &f.path));
            }
        }
        Ok(())
    }

    /// Write every file (see the module documentation). On a failure before
    /// the commit point nothing new is left behind: temporary files and the
    /// directories this call created are removed again.
    pub fn commit(self, force: bool) -> Result<Vec<PathBuf>, WriteError> {
        self.check_clobber(force)?;
        let mut created: Vec<PathBuf> = Vec::new();
        let result = imp::commit(&self.files, force, &mut created);
        if result.is_err() {
            // Deepest first; remove_dir only succeeds on empty directories.
            for d in created.iter().rev() {
                let _ = std::fs::remove_dir(d);
            }
        }
        result
    }
}

/// What one output path names right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    /// Nothing: the file is created.
    Absent,
    /// A regular file: replaced by rename (with `force`).
    Regular,
    /// A symbolic link to a regular file or to nothing: the link itself is
    /// replaced by rename, never written through (public outputs only).
    Link,
    /// A character device or FIFO, directly or through links (`/dev/stdout`
    /// is a link): opened and written into (public outputs only).
    WriteInto,
}

fn target_kind(path: &Path) -> Result<Target, WriteError> {
    let err = |why: &str| WriteError::Io {
        path: path.to_path_buf(),
        cause: std::io::Error::other(why.to_owned()),
    };
    let Ok(own) = std::fs::symlink_metadata(path) else {
        return Ok(Target::Absent);
    };
    if own.is_file() {
        return Ok(Target::Regular);
    }
    if own.is_dir() {
        return Err(err("is a directory"));
    }
    let followed = std::fs::metadata(path);
    if own.file_type().is_symlink() {
        match &followed {
            Err(_) => return Ok(Target::Link),
            Ok(m) if m.is_file() => return Ok(Target::Link),
            Ok(m) if m.is_dir() => return Err(err("is a link to a directory")),
            Ok(_) => {}
        }
    }
    #[cfg(unix)]
    if let Ok(m) = &followed {
        use std::os::unix::fs::FileTypeExt;
        let t = m.file_type();
        if t.is_char_device() || t.is_fifo() {
            return Ok(Target::WriteInto);
        }
    }
    Err(err(
        "is not a regular file, character device or FIFO; refusing to replace it",
    ))
}

/// What makes two output paths the same file.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Identity {
    /// A directory (device, inode) and a file name in it.
    Entry(u64, u64, std::ffi::OsString),
    /// An existing file (device, inode), reached through any links.
    File(u64, u64),
    /// A path whose directory does not exist yet, made absolute.
    Lexical(PathBuf),
}

#[cfg(unix)]
fn identities(path: &Path) -> Vec<Identity> {
    use std::os::unix::fs::MetadataExt;
    let mut out = Vec::with_capacity(2);
    let name = path.file_name().map(ToOwned::to_owned).unwrap_or_default();
    match std::fs::metadata(parent_dir(path)) {
        Ok(d) => out.push(Identity::Entry(d.dev(), d.ino(), name)),
        Err(_) => out.push(Identity::Lexical(lexical_absolute(path))),
    }
    if let Ok(m) = std::fs::metadata(path) {
        out.push(Identity::File(m.dev(), m.ino()));
    }
    out
}

#[cfg(not(unix))]
fn identities(path: &Path) -> Vec<Identity> {
    vec![Identity::Lexical(
        std::fs::canonicalize(parent_dir(path))
            .map(|d| d.join(path.file_name().unwrap_or_default()))
            .unwrap_or_else(|_| lexical_absolute(path)),
    )]
}

/// `path` made absolute against the working directory, `.` and `..`
/// folded without touching the file system.
fn lexical_absolute(path: &Path) -> PathBuf {
    use std::path::Component;
    let base = if path.is_absolute() {
        PathBuf::new()
    } else {
        std::env::current_dir().unwrap_or_default()
    };
    let mut out = PathBuf::new();
    for c in base.join(path).components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// tempfile and std decorate I/O errors with a path; keep just the
/// operating system's reason, as the final path is already in the message.
fn plain(e: std::io::Error) -> std::io::Error {
    match e.raw_os_error() {
        Some(code) => std::io::Error::from_raw_os_error(code),
        None => e,
    }
}

fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Directories of `dir` that do not exist yet, outermost first.
fn missing_ancestors(dir: &Path) -> Vec<PathBuf> {
    let mut missing: Vec<PathBuf> = dir
        .ancestors()
        .take_while(|a| !a.as_os_str().is_empty() && a.symlink_metadata().is_err())
        .map(Path::to_path_buf)
        .collect();
    missing.reverse();
    missing
}

/// A fresh temporary name: `.chainsmith-<16 hex digits>.tmp`.
fn temp_name() -> String {
    let mut b = [0u8; 8];
    // aws-lc's RNG; a failure falls back to the clock and pid, which is
    // still unique enough with O_EXCL behind it.
    if aws_lc_rs::rand::fill(&mut b).is_err() {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        b = ((t as u64) ^ u64::from(std::process::id()).rotate_left(32)).to_le_bytes();
    }
    format!("{TMP_PREFIX}{}{TMP_SUFFIX}", hex::encode(b))
}

fn is_temp_name(name: &str) -> bool {
    name.len() == TMP_PREFIX.len() + 16 + TMP_SUFFIX.len()
        && name.starts_with(TMP_PREFIX)
        && name.ends_with(TMP_SUFFIX)
        && name[TMP_PREFIX.len()..TMP_PREFIX.len() + 16]
            .bytes()
            .all(|b| b.is_ascii_hexdigit())
}

#[cfg(unix)]
mod imp {
    //! The descriptor-based implementation (Linux, macOS, the BSDs).
    use std::collections::BTreeMap;
    use std::ffi::OsStr;
    use std::io::Write;
    use std::os::fd::{AsFd, OwnedFd};
    use std::os::unix::ffi::OsStrExt;
    use std::path::{Path, PathBuf};

    use rustix::fs::{AtFlags, FileType, FlockOperation, Mode as UMode, OFlags};
    use rustix::io::Errno;

    use super::{
        JOURNAL, Mode, OutFile, Target, WriteError, is_temp_name, missing_ancestors, parent_dir,
        plain, target_kind, temp_name,
    };

    /// How long a FIFO output may wait for its reader to open it.
    const READER_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

    fn io_err(path: &Path, e: impl Into<std::io::Error>) -> WriteError {
        WriteError::Io {
            path: path.to_path_buf(),
            cause: plain(e.into()),
        }
    }

    /// One output directory, opened once and locked for the whole commit.
    struct Dir {
        path: PathBuf,
        fd: OwnedFd,
    }

    impl Dir {
        fn open_locked(path: &Path) -> Result<Dir, WriteError> {
            let fd = rustix::fs::open(
                path,
                OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
                UMode::empty(),
            )
            .map_err(|e| io_err(path, e))?;
            // Serialises chainsmith runs writing into one directory, so that
            // recovery never touches the temporary files of a live run.
            rustix::fs::flock(&fd, FlockOperation::LockExclusive).map_err(|e| io_err(path, e))?;
            Ok(Dir {
                path: path.to_path_buf(),
                fd,
            })
        }

        fn sync(&self) -> Result<(), WriteError> {
            rustix::fs::fsync(&self.fd).map_err(|e| io_err(&self.path, e))
        }
    }

    /// One staged file: its temporary name in `dir`, open for flushing.
    struct Staged<'f> {
        dir: usize,
        tmp: String,
        file: std::fs::File,
        out: &'f OutFile,
    }

    /// Complete any interrupted set in each of `dirs` that exists.
    pub fn recover_dirs<'a>(dirs: impl Iterator<Item = &'a Path>) -> Result<(), WriteError> {
        let mut done: Vec<PathBuf> = Vec::new();
        for d in dirs {
            if done.iter().any(|x| x == d) || !d.is_dir() {
                continue;
            }
            done.push(d.to_path_buf());
            let dir = Dir::open_locked(d)?;
            recover(&dir)?;
        }
        Ok(())
    }

    /// Under the directory's lock: roll a journal forward, then remove the
    /// temporary files of dead runs (ours only: same owner).
    fn recover(dir: &Dir) -> Result<(), WriteError> {
        match rustix::fs::openat(
            &dir.fd,
            JOURNAL,
            OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK,
            UMode::empty(),
        ) {
            Ok(fd) => roll_forward(dir, fd)?,
            Err(Errno::NOENT) => {}
            Err(e) => return Err(io_err(&dir.path.join(JOURNAL), e)),
        }
        remove_stale_temps(dir);
        Ok(())
    }

    fn roll_forward(dir: &Dir, fd: OwnedFd) -> Result<(), WriteError> {
        let journal = dir.path.join(JOURNAL);
        let st = rustix::fs::fstat(&fd).map_err(|e| io_err(&journal, e))?;
        let bad = |why: &str| WriteError::Io {
            path: journal.clone(),
            cause: std::io::Error::other(why.to_owned()),
        };
        // A journal is honoured only if this user wrote it: another user
        // who can write here must not be able to make us rename files.
        if FileType::from_raw_mode(st.st_mode) != FileType::RegularFile
            || st.st_uid != rustix::process::geteuid().as_raw()
        {
            return Err(bad(
                "a journal that chainsmith did not write as this user; remove it after checking the directory",
            ));
        }
        if st.st_size > super::MAX_JOURNAL_BYTES {
            return Err(bad("the journal is too large to be chainsmith's"));
        }
        let mut text = Vec::new();
        std::io::Read::read_to_end(&mut std::fs::File::from(fd), &mut text)
            .map_err(|e| io_err(&journal, e))?;
        let entries = parse_journal(&text).ok_or_else(|| bad("the journal is damaged"))?;
        let mut dirs: BTreeMap<PathBuf, Option<OwnedFd>> = BTreeMap::new();
        for (d, tmp, name) in &entries {
            let fd = dirs.entry(d.clone()).or_insert_with(|| {
                rustix::fs::open(
                    d,
                    OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
                    UMode::empty(),
                )
                .ok()
            });
            let Some(fd) = fd else { continue };
            // Only a regular file of this user's goes under a final name.
            let me = rustix::process::geteuid().as_raw();
            match rustix::fs::statat(&*fd, tmp.as_str(), AtFlags::SYMLINK_NOFOLLOW) {
                Ok(st)
                    if FileType::from_raw_mode(st.st_mode) == FileType::RegularFile
                        && st.st_uid == me => {}
                _ => continue,
            }
            match rustix::fs::renameat(&*fd, tmp.as_str(), &*fd, name.as_os_str()) {
                Ok(()) | Err(Errno::NOENT) => {}
                Err(e) => return Err(io_err(&d.join(name), e)),
            }
        }
        for fd in dirs.values().flatten() {
            let _ = rustix::fs::fsync(fd);
            let _ = rustix::fs::unlinkat(fd, JOURNAL, AtFlags::empty());
            let _ = rustix::fs::fsync(fd);
        }
        // This directory's own journal, should it not be named in itself.
        let _ = rustix::fs::unlinkat(&dir.fd, JOURNAL, AtFlags::empty());
        Ok(())
    }

    /// Journal lines: `hex(directory) tmpname hex(final name)`.
    fn journal_text(dirs: &[Dir], staged: &[Staged<'_>]) -> Vec<u8> {
        let mut s = String::from("chainsmith-journal 1\n");
        for st in staged {
            let d = &dirs[st.dir].path;
            let name = st.out.path.file_name().unwrap_or_default();
            s.push_str(&format!(
                "{} {} {}\n",
                hex::encode(d.as_os_str().as_bytes()),
                st.tmp,
                hex::encode(name.as_bytes())
            ));
        }
        s.into_bytes()
    }

    fn parse_journal(text: &[u8]) -> Option<Vec<(PathBuf, String, std::ffi::OsString)>> {
        let text = std::str::from_utf8(text).ok()?;
        let mut lines = text.lines();
        if lines.next()? != "chainsmith-journal 1" {
            return None;
        }
        lines
            .map(|l| {
                let mut it = l.split(' ');
                let d = hex::decode(it.next()?).ok()?;
                let tmp = it.next()?.to_owned();
                let name = hex::decode(it.next()?).ok()?;
                let name = OsStr::from_bytes(&name).to_owned();
                let valid_name = !name.is_empty()
                    && name != "."
                    && name != ".."
                    && !name.as_bytes().contains(&b'/');
                (is_temp_name(&tmp) && valid_name && it.next().is_none())
                    .then(|| (PathBuf::from(OsStr::from_bytes(&d).to_owned()), tmp, name))
            })
            .collect()
    }

    fn remove_stale_temps(dir: &Dir) {
        let Ok(list) = rustix::fs::Dir::read_from(&dir.fd) else {
            return;
        };
        let me = rustix::process::geteuid().as_raw();
        for entry in list.flatten() {
            let Ok(name) = entry.file_name().to_str() else {
                continue;
            };
            if !(is_temp_name(name) || name.starts_with(".chainsmith-journal-")) {
                continue;
            }
            let Ok(st) = rustix::fs::statat(&dir.fd, name, AtFlags::SYMLINK_NOFOLLOW) else {
                continue;
            };
            if FileType::from_raw_mode(st.st_mode) == FileType::RegularFile && st.st_uid == me {
                let _ = rustix::fs::unlinkat(&dir.fd, name, AtFlags::empty());
            }
        }
    }

    pub fn commit(
        files: &[OutFile],
        force: bool,
        created: &mut Vec<PathBuf>,
    ) -> Result<Vec<PathBuf>, WriteError> {
        // Sort the targets: replaced through a temporary file, or written into.
        let mut direct: Vec<&OutFile> = Vec::new();
        let mut regular: Vec<&OutFile> = Vec::new();
        for f in files {
            match target_kind(&f.path)? {
                Target::WriteInto => direct.push(f),
                _ => regular.push(f),
            }
        }
        // Open (and lock) each directory once; create missing ones.
        let mut dirs: Vec<Dir> = Vec::new();
        let mut dir_of: Vec<usize> = Vec::with_capacity(regular.len());
        for f in &regular {
            let d = parent_dir(&f.path);
            if let Some(i) = dirs.iter().position(|x| x.path == d) {
                dir_of.push(i);
                continue;
            }
            let missing = missing_ancestors(d);
            std::fs::create_dir_all(d).map_err(|e| io_err(d, e))?;
            created.extend(missing);
            let dir = Dir::open_locked(d)?;
            recover(&dir)?;
            dirs.push(dir);
            dir_of.push(dirs.len() - 1);
        }
        let mut staged: Vec<Staged<'_>> = Vec::with_capacity(regular.len());
        let result = stage_and_land(&dirs, &dir_of, &regular, &direct, force, &mut staged);
        if result.is_err() {
            for st in &staged {
                let _ = rustix::fs::unlinkat(&dirs[st.dir].fd, st.tmp.as_str(), AtFlags::empty());
            }
        }
        result
    }

    fn stage_and_land<'f>(
        dirs: &[Dir],
        dir_of: &[usize],
        regular: &[&'f OutFile],
        direct: &[&'f OutFile],
        force: bool,
        staged: &mut Vec<Staged<'f>>,
    ) -> Result<Vec<PathBuf>, WriteError> {
        for (f, &d) in regular.iter().zip(dir_of) {
            staged.push(stage(&dirs[d], d, f)?);
        }
        super::flush::flush(staged.iter().map(|s| (&s.file, s.out.path.as_path())))?;
        // Each temporary name must still be the file we wrote: in a
        // directory others can write to, it could have been swapped for a
        // link, which a rename would then put under the final name.
        for st in staged.iter() {
            if !is_ours(&dirs[st.dir].fd, &st.tmp, &st.file) {
                return Err(swapped(&st.out.path));
            }
        }
        // Devices and FIFOs take their bytes before anything is renamed: a
        // failure there (`/dev/full`, no reader) leaves nothing new behind.
        let mut done: Vec<PathBuf> = Vec::with_capacity(regular.len() + direct.len());
        for f in direct {
            write_into(f)?;
            done.push(f.path.clone());
        }
        // The commit point: the journal in every directory of the set.
        let many = staged.len() > 1;
        if many {
            let text = journal_text(dirs, staged);
            for d in dirs {
                write_journal(d, &text)?;
            }
        }
        for st in staged.iter() {
            let name = st.out.path.file_name().unwrap_or_default();
            let fd = &dirs[st.dir].fd;
            let r = if force {
                rustix::fs::renameat(fd, st.tmp.as_str(), fd, name)
            } else {
                rename_noreplace(fd, &st.tmp, name)
            };
            if let Err(e) = r {
                if !force {
                    // Nothing was replaced: take back what landed so far.
                    for p in &done {
                        if !direct.iter().any(|f| &f.path == p) {
                            let _ = std::fs::remove_file(p);
                        }
                    }
                    for d in dirs {
                        let _ = rustix::fs::unlinkat(&d.fd, JOURNAL, AtFlags::empty());
                    }
                }
                if e == Errno::EXIST {
                    return Err(WriteError::Exists {
                        path: st.out.path.clone(),
                    });
                }
                return Err(io_err(&st.out.path, e));
            }
            if !is_ours(fd, name, &st.file) {
                // Swapped in the instant before the rename: what landed is
                // not ours, so it does not stay under the final name.
                let _ = rustix::fs::unlinkat(fd, name, AtFlags::empty());
                return Err(swapped(&st.out.path));
            }
            done.push(st.out.path.clone());
        }
        staged.clear();
        for d in dirs {
            d.sync()?;
        }
        if many {
            for d in dirs {
                let _ = rustix::fs::unlinkat(&d.fd, JOURNAL, AtFlags::empty());
            }
        }
        Ok(done)
    }

    /// Is `name` in `dir` (not followed) the very file open as `file`?
    fn is_ours(dir: &OwnedFd, name: impl rustix::path::Arg, file: &std::fs::File) -> bool {
        match (
            rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW),
            rustix::fs::fstat(file),
        ) {
            (Ok(a), Ok(b)) => a.st_dev == b.st_dev && a.st_ino == b.st_ino,
            _ => false,
        }
    }

    fn swapped(path: &Path) -> WriteError {
        io_err(
            path,
            std::io::Error::other(
                "its temporary file was replaced by another process (is the directory writable by others?); not written",
            ),
        )
    }

    /// Create the temporary file by descriptor, exclusively, never through
    /// a link, 0600 from the start; then its final mode on the descriptor.
    fn stage<'f>(dir: &Dir, index: usize, f: &'f OutFile) -> Result<Staged<'f>, WriteError> {
        let (tmp, fd) = loop {
            let name = temp_name();
            match rustix::fs::openat(
                &dir.fd,
                name.as_str(),
                OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                UMode::from_raw_mode(0o600),
            ) {
                Ok(fd) => break (name, fd),
                Err(Errno::EXIST) => continue,
                Err(e) => return Err(io_err(&f.path, e)),
            }
        };
        let mode = match f.mode {
            Mode::Public => 0o644,
            Mode::Secret => 0o600,
        };
        let mut staged = Staged {
            dir: index,
            tmp,
            file: std::fs::File::from(fd),
            out: f,
        };
        let io = |e: std::io::Error| io_err(&f.path, e);
        rustix::fs::fchmod(staged.file.as_fd(), UMode::from_raw_mode(mode))
            .map_err(|e| io(e.into()))
            .and_then(|()| staged.file.write_all(&f.bytes).map_err(io))
            .inspect_err(|_| {
                let _ = rustix::fs::unlinkat(&dir.fd, staged.tmp.as_str(), AtFlags::empty());
            })?;
        // From here on the caller removes it on failure.
        Ok(staged)
    }

    fn write_journal(dir: &Dir, text: &[u8]) -> Result<(), WriteError> {
        let path = dir.path.join(JOURNAL);
        let tmp = format!(".chainsmith-journal-{}", &temp_name()[12..28]);
        let fd = rustix::fs::openat(
            &dir.fd,
            tmp.as_str(),
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            UMode::from_raw_mode(0o600),
        )
        .map_err(|e| io_err(&path, e))?;
        let mut file = std::fs::File::from(fd);
        let written = file
            .write_all(text)
            .and_then(|()| file.sync_all())
            .map_err(|e| io_err(&path, e))
            .and_then(|()| {
                rustix::fs::renameat(&dir.fd, tmp.as_str(), &dir.fd, JOURNAL)
                    .map_err(|e| io_err(&path, e))
            })
            .and_then(|()| dir.sync());
        if written.is_err() {
            let _ = rustix::fs::unlinkat(&dir.fd, tmp.as_str(), AtFlags::empty());
        }
        written
    }

    /// Rename without replacing: `renameat2(RENAME_NOREPLACE)` where the
    /// kernel and file system have it, else link then unlink (both fail
    /// with EEXIST on an existing name).
    fn rename_noreplace(fd: &OwnedFd, tmp: &str, name: &OsStr) -> Result<(), Errno> {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        match rustix::fs::renameat_with(fd, tmp, fd, name, rustix::fs::RenameFlags::NOREPLACE) {
            Err(Errno::INVAL | Errno::NOSYS | Errno::OPNOTSUPP) => {}
            other => return other,
        }
        rustix::fs::linkat(fd, tmp, fd, name, AtFlags::empty())?;
        let _ = rustix::fs::unlinkat(fd, tmp, AtFlags::empty());
        Ok(())
    }

    /// Write public bytes into an existing FIFO or character device. The
    /// open never blocks (a FIFO without a reader is an error, not a hang),
    /// and what was opened is checked again on the descriptor: a name
    /// swapped for a regular file in between is left untouched.
    fn write_into(f: &OutFile) -> Result<(), WriteError> {
        if f.mode == Mode::Secret {
            return Err(io_err(
                &f.path,
                std::io::Error::other(
                    "is a FIFO or device; a private key is written only into a regular file chainsmith creates",
                ),
            ));
        }
        // A FIFO whose reader is still starting gets a moment (the open
        // fails with ENXIO while nobody reads); then it is an error.
        let deadline = std::time::Instant::now() + READER_WAIT;
        let fd = loop {
            match rustix::fs::open(
                &f.path,
                OFlags::WRONLY | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC,
                UMode::empty(),
            ) {
                Ok(fd) => break fd,
                Err(Errno::NXIO) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(std::time::Duration::from_millis(10));
                }
                Err(Errno::NXIO) => {
                    return Err(io_err(
                        &f.path,
                        std::io::Error::other("is a FIFO that no process is reading"),
                    ));
                }
                Err(e) => return Err(io_err(&f.path, e)),
            }
        };
        let st = rustix::fs::fstat(&fd).map_err(|e| io_err(&f.path, e))?;
        let kind = FileType::from_raw_mode(st.st_mode);
        if kind != FileType::Fifo && kind != FileType::CharacterDevice {
            return Err(io_err(
                &f.path,
                std::io::Error::other("changed while being opened; nothing was written"),
            ));
        }
        rustix::fs::fcntl_setfl(&fd, OFlags::empty()).map_err(|e| io_err(&f.path, e))?;
        let mut out = std::fs::File::from(fd);
        out.write_all(&f.bytes).map_err(|e| io_err(&f.path, e))
    }
}

#[cfg(not(unix))]
mod imp {
    //! Elsewhere: temporary files through `tempfile`, renamed into place.
    use std::io::Write;
    use std::path::{Path, PathBuf};

    use super::{OutFile, WriteError, missing_ancestors, parent_dir, plain};

    pub fn recover_dirs<'a>(_dirs: impl Iterator<Item = &'a Path>) -> Result<(), WriteError> {
        Ok(())
    }

    pub fn commit(
        files: &[OutFile],
        force: bool,
        created: &mut Vec<PathBuf>,
    ) -> Result<Vec<PathBuf>, WriteError> {
        let mut staged = Vec::with_capacity(files.len());
        for f in files {
            let d = parent_dir(&f.path);
            let io = |e: std::io::Error| WriteError::Io {
                path: f.path.clone(),
                cause: plain(e),
            };
            let missing = missing_ancestors(d);
            std::fs::create_dir_all(d).map_err(io)?;
            created.extend(missing);
            let mut tmp = tempfile::Builder::new()
                .prefix(super::TMP_PREFIX)
                .suffix(super::TMP_SUFFIX)
                .tempfile_in(d)
                .map_err(io)?;
            tmp.write_all(&f.bytes).map_err(io)?;
            tmp.as_file().sync_all().map_err(io)?;
            staged.push(tmp);
        }
        let mut done = Vec::with_capacity(files.len());
        for (tmp, f) in staged.into_iter().zip(files) {
            let r = if force {
                tmp.persist(&f.path).map(|_| ())
            } else {
                tmp.persist_noclobber(&f.path).map(|_| ())
            };
            r.map_err(|e| WriteError::Io {
                path: f.path.clone(),
                cause: plain(e.error),
            })?;
            done.push(f.path.clone());
        }
        Ok(done)
    }
}

/// Largest journal a run would write (a few lines per file of a set).
const MAX_JOURNAL_BYTES: i64 = 4 * 1024 * 1024;

#[cfg(unix)]
mod flush {
    //! Making staged files durable before any rename.
    use std::path::{Path, PathBuf};

    use super::{WriteError, plain};

    /// From this many files on, a write set is flushed with one `syncfs`
    /// per file system instead of one `fsync` per file. Below it, per-file
    /// flushes touch nothing but our own data; above it, one journal commit
    /// beats many (a `convert --to der -o DIR` of a 144-root store: see
    /// docs/performance.md). `syncfs` also waits for every other process's
    /// dirty data on that file system: at 16 files (a `rotate root`) on a
    /// host busy writing it took 24 ms where 16 `fsync`s take about 4 ms,
    /// so the switch comes only for sets far larger than a chain directory.
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    pub(super) const SYNCFS_FROM: usize = 64;

    pub fn flush<'a>(
        staged: impl Iterator<Item = (&'a std::fs::File, &'a Path)>,
    ) -> Result<(), WriteError> {
        let staged: Vec<_> = staged.collect();
        #[cfg(target_os = "linux")]
        if staged.len() >= SYNCFS_FROM {
            return by_file_system(&staged);
        }
        each(&staged)
    }

    /// One `syncfs` for each file system the staged files live on (usually
    /// one). It flushes every dirty file of that file system, ours among
    /// them, and reports write-back errors since the file was opened (Linux
    /// 5.8 and later).
    #[cfg(target_os = "linux")]
    fn by_file_system(staged: &[(&std::fs::File, &Path)]) -> Result<(), WriteError> {
        use std::os::unix::fs::MetadataExt;
        let mut synced: Vec<u64> = Vec::new();
        for (file, path) in staged {
            let io = |source: std::io::Error| WriteError::Io {
                path: path.to_path_buf(),
                cause: plain(source),
            };
            let dev = file.metadata().map_err(io)?.dev();
            if !synced.contains(&dev) {
                match rustix::fs::syncfs(file) {
                    Ok(()) => synced.push(dev),
                    // A sandbox that filters the call (seccomp) or a kernel
                    // without it: flush file by file instead.
                    Err(e)
                        if e == rustix::io::Errno::NOSYS
                            || e == rustix::io::Errno::PERM
                            || e == rustix::io::Errno::ACCESS =>
                    {
                        return each(staged);
                    }
                    Err(e) => return Err(io(e.into())),
                }
            }
        }
        Ok(())
    }

    /// `fsync` every file, on up to 16 threads: they wait on the disk, not
    /// the CPU, and the file system batches concurrent flushes into fewer
    /// commits.
    fn each(staged: &[(&std::fs::File, &Path)]) -> Result<(), WriteError> {
        let chunk = staged.len().div_ceil(16).max(1);
        std::thread::scope(|scope| {
            let handles: Vec<_> = staged
                .chunks(chunk)
                .map(|part| {
                    scope.spawn(move || {
                        for (file, path) in part {
                            file.sync_all().map_err(|source| WriteError::Io {
                                path: path.to_path_buf(),
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
    fn secret_files_are_0600_and_public_0644_whatever_the_existing_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        // An existing world-readable key is replaced by a 0600 one.
        std::fs::write(dir.path().join("k.key"), "old").unwrap();
        std::fs::set_permissions(
            dir.path().join("k.key"),
            std::fs::Permissions::from_mode(0o666),
        )
        .unwrap();
        let mut set = WriteSet::new();
        set.add(dir.path().join("k.key"), b"k".to_vec(), Mode::Secret);
        set.add(dir.path().join("c.crt"), b"c".to_vec(), Mode::Public);
        set.commit(true).unwrap();
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
    /// temporary file or journal behind; replacing with `force` works on both.
    #[cfg(unix)]
    #[test]
    fn small_and_large_sets_land_whole_on_either_flush_path() {
        use std::os::unix::fs::PermissionsExt;
        for n in [
            1,
            15,
            16,
            flush::SYNCFS_FROM - 1,
            flush::SYNCFS_FROM,
            flush::SYNCFS_FROM + 24,
        ] {
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
            Target::Absent
        );
        let dir = tempfile::tempdir().unwrap();
        assert!(target_kind(dir.path()).is_err(), "a directory is refused");
    }

    fn mkfifo(path: &Path) {
        let made = std::process::Command::new("mkfifo")
            .arg(path)
            .status()
            .unwrap();
        assert!(made.success(), "mkfifo failed");
    }

    /// A fresh temporary directory holding a FIFO named `name`.
    fn dir_with_fifo(name: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join(name);
        mkfifo(&fifo);
        (dir, fifo)
    }

    /// A FIFO target stays a FIFO and its reader gets the bytes; the regular
    /// file of the same set lands as usual; a directory target fails the set
    /// before anything is written.
    #[cfg(unix)]
    #[test]
    fn a_fifo_target_stays_a_fifo() {
        use std::io::Read;
        use std::os::unix::fs::FileTypeExt;
        let (dir, fifo) = dir_with_fifo("pipe");
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

    /// A FIFO nobody reads is an error after a short wait, not a hang, and
    /// the regular files of the set are not written.
    #[cfg(unix)]
    #[test]
    fn a_fifo_without_a_reader_fails_the_set_quickly() {
        let (dir, fifo) = dir_with_fifo("pipe");
        let mut set = WriteSet::new();
        set.add(dir.path().join("a.crt"), b"a".to_vec(), Mode::Public);
        set.add(&fifo, b"nobody listens".to_vec(), Mode::Public);
        let started = std::time::Instant::now();
        let err = set.commit(true).unwrap_err().to_string();
        assert!(err.contains("no process is reading"), "{err}");
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
        assert!(!dir.path().join("a.crt").exists());
    }

    /// A secret never goes into a FIFO, a device or through a link, even
    /// with `force`; nothing of the set is written.
    #[cfg(unix)]
    #[test]
    fn a_secret_goes_only_into_a_regular_file_chainsmith_creates() {
        let (dir, fifo) = dir_with_fifo("k.key");
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "precious").unwrap();
        let link = dir.path().join("l.key");
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        for target in [fifo.as_path(), link.as_path(), Path::new("/dev/null")] {
            let mut set = WriteSet::new();
            set.add(dir.path().join("c.crt"), b"c".to_vec(), Mode::Public);
            set.add(target, b"SECRET".to_vec(), Mode::Secret);
            let err = set.commit(true).unwrap_err().to_string();
            assert!(err.contains("private key"), "{err}");
            assert!(!dir.path().join("c.crt").exists());
        }
        assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
    }

    /// Two outputs naming one file, by any spelling, are refused before
    /// anything is written.
    #[cfg(unix)]
    #[test]
    fn two_outputs_for_one_file_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir(d.join("sub")).unwrap();
        std::fs::write(d.join("real.pem"), "x").unwrap();
        std::os::unix::fs::symlink(d.join("real.pem"), d.join("alias.pem")).unwrap();
        let cases: [(PathBuf, PathBuf); 4] = [
            (d.join("a.pem"), d.join("sub/../a.pem")),
            (d.join("a.pem"), d.join("./a.pem")),
            (d.join("new/x.pem"), d.join("new/./x.pem")),
            (d.join("real.pem"), d.join("alias.pem")),
        ];
        for (a, b) in cases {
            let mut set = WriteSet::new();
            set.add(&a, b"cert".to_vec(), Mode::Public);
            set.add(&b, b"key".to_vec(), Mode::Secret);
            let err = set.commit(true).unwrap_err();
            assert!(
                matches!(err, WriteError::SameTarget { .. }),
                "{a:?} {b:?}: {err}"
            );
        }
        assert!(!d.join("a.pem").exists() && !d.join("new").exists());
        assert_eq!(std::fs::read(d.join("real.pem")).unwrap(), b"x");
    }

    /// A journal as a killed run leaves it in `d`: each move is (temporary
    /// file, target), both names in `d`, written in hex as the journal has them.
    #[cfg(unix)]
    fn journal(d: &Path, moves: &[(&str, &str)]) -> String {
        use std::os::unix::ffi::OsStrExt;
        let hexdir = hex::encode(d.as_os_str().as_bytes());
        let mut text = "chainsmith-journal 1\n".to_owned();
        for (tmp, target) in moves {
            text.push_str(&format!("{hexdir} {tmp} {}\n", hex::encode(target)));
        }
        text
    }

    /// A journal left by a killed run is completed before the next set is
    /// planned in that directory; temporary files of dead runs go away.
    #[cfg(unix)]
    #[test]
    fn an_interrupted_set_is_completed_by_the_next_run() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        // The state after a kill between two renames: a.crt landed, the
        // temporary file for a.key is still there, and so is the journal.
        std::fs::write(d.join("a.crt"), "new cert").unwrap();
        std::fs::write(d.join("a.key"), "old key").unwrap();
        let (t1, t2) = (
            ".chainsmith-00000000000000aa.tmp",
            ".chainsmith-00000000000000bb.tmp",
        );
        std::fs::write(d.join(t2), "new key").unwrap();
        std::fs::write(d.join(".chainsmith-00000000000000cc.tmp"), "stale").unwrap();
        let journal = journal(d, &[(t1, "a.crt"), (t2, "a.key")]);
        std::fs::write(d.join(JOURNAL), journal).unwrap();

        let mut set = WriteSet::new();
        set.add(d.join("other.crt"), b"o".to_vec(), Mode::Public);
        set.check_clobber(false).unwrap();
        assert_eq!(std::fs::read(d.join("a.key")).unwrap(), b"new key");
        assert_eq!(std::fs::read(d.join("a.crt")).unwrap(), b"new cert");
        let mut names: Vec<String> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["a.crt", "a.key"]);
    }

    /// A journal that names paths outside the rules (a slash in a name, a
    /// file that is not a temporary file) is refused, and nothing moves.
    #[cfg(unix)]
    #[test]
    fn a_damaged_or_planted_journal_moves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("victim"), "precious").unwrap();
        std::fs::write(d.join("innocent"), "mine").unwrap();
        for body in [
            journal(d, &[("innocent", "victim")]),
            journal(d, &[(".chainsmith-00000000000000aa.tmp", "../victim")]),
            "garbage".to_owned(),
        ] {
            std::fs::write(d.join(JOURNAL), body).unwrap();
            let mut set = WriteSet::new();
            set.add(d.join("x.crt"), b"x".to_vec(), Mode::Public);
            let err = set.check_clobber(true).unwrap_err().to_string();
            assert!(err.contains("journal"), "{err}");
            assert_eq!(std::fs::read(d.join("victim")).unwrap(), b"precious");
            assert_eq!(std::fs::read(d.join("innocent")).unwrap(), b"mine");
        }
    }
}
