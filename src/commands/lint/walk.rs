//! Finding and reading `lint`'s inputs: the path arguments expanded into
//! files (directories walked through descriptors, so any depth and any path
//! length work), then each file read with the loader's size limit.
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

use globset::GlobSet;

use crate::lint::config::{self, Config};
use crate::pki::load;
use crate::report::{self, IoFailure};

/// Selection of files inside directories, and paths to skip anywhere.
pub struct Selection {
    include: GlobSet,
    exclude: GlobSet,
}

impl Selection {
    /// Compile the `include` and `exclude` globs.
    pub fn new(include: &[String], exclude: &[String]) -> Result<Self, config::ConfigError> {
        Ok(Selection {
            include: config::globs(include, "--include")?,
            exclude: config::globs(exclude, "--exclude / ignore")?,
        })
    }

    fn excluded(&self, path: &Path, cfg: Option<&Config>) -> bool {
        let shown = path.to_string_lossy().replace('\\', "/");
        let shown = shown.strip_prefix("./").unwrap_or(&shown);
        self.exclude.is_match(shown)
            || cfg.is_some_and(|c| self.exclude.is_match(c.relative(path)))
            || path.file_name().is_some_and(|n| self.exclude.is_match(n))
    }

    fn included(&self, path: &Path) -> bool {
        path.file_name().is_some_and(|n| self.include.is_match(n)) || self.include.is_match(path)
    }
}

/// Read one input: `-` is standard input; a path of any length is opened
/// (see `open_input`) and read with the loader's size limit. Errors show the
/// path escaped and cut to a sane length.
pub fn read_input(p: &Path) -> Result<Vec<u8>, crate::error::LoadError> {
    if p.as_os_str() == "-" {
        return load::read_limited(p);
    }
    let shown = report::escape_path(p);
    let file = open_input(p).map_err(|cause| crate::error::LoadError::Io {
        path: shown.clone(),
        cause,
    })?;
    load::read_open_file(file, &shown)
}

/// What expanding the directory arguments found.
#[derive(Default)]
pub struct Walked {
    pub files: Vec<PathBuf>,
    /// Entries that exist but could not be read: exit 2.
    pub errors: Vec<IoFailure>,
    /// Entries skipped on purpose, shown with `-v`.
    pub notes: Vec<String>,
}

impl Walked {
    fn fail(&mut self, path: &Path, what: &str, e: &std::io::Error) {
        self.errors.push(IoFailure {
            path: path.display().to_string(),
            message: format!("{}: {what}: {e}", report::escape_path(path)),
        });
    }

    fn note(&mut self, path: &Path, why: &str) {
        self.notes
            .push(format!("skipped {}: {why}", report::escape_path(path)));
    }
}

/// Directories nested deeper than this below a scanned directory are
/// reported (exit 2), not entered: the walk holds one open directory per
/// level, and the limit keeps it far from the open-file limit.
const MAX_WALK_DEPTH: usize = 256;

/// One directory being listed: its handle, its path for display, and the
/// names not yet visited (sorted).
struct Frame {
    dir: dirs::Handle,
    path: PathBuf,
    names: std::vec::IntoIter<OsString>,
}

fn open_frame(dir: dirs::Handle, path: PathBuf) -> std::io::Result<Frame> {
    let names = dir.names()?;
    Ok(Frame {
        dir,
        path,
        names: names.into_iter(),
    })
}

/// Expand the path arguments, in order: `-` (standard input) and files as
/// given, directories walked (see [`walk`]), excluded paths noted.
pub fn expand(paths: &[PathBuf], sel: &Selection, cfg: Option<&Config>) -> Walked {
    let mut walked = Walked::default();
    for p in paths {
        if p.as_os_str() == "-" {
            walked.files.push(p.clone());
        } else if sel.excluded(p, cfg) {
            walked.note(p, "excluded");
        } else if p.is_dir() {
            walk(p, sel, cfg, &mut walked);
        } else {
            walked.files.push(p.clone());
        }
    }
    walked
}

/// Expand a directory: sorted, hidden directories skipped, regular files and
/// links to regular files taken, directory links not followed (no loops).
/// Every directory is opened and every entry examined relative to its
/// parent's handle (`openat`/`fstatat`), so a tree deeper than PATH_MAX is
/// walked like any other; the walk is a loop, not recursion. A FIFO, socket
/// or device (which would block or mean nothing), a dangling link, a
/// directory link and an excluded path are skipped with a `-v` note; an entry
/// that exists but cannot be examined or opened is an I/O failure (exit 2),
/// never a silent skip.
fn walk(root: &Path, sel: &Selection, cfg: Option<&Config>, out: &mut Walked) {
    let first = dirs::Handle::open(root).and_then(|d| open_frame(d, root.to_path_buf()));
    let mut stack = match first {
        Ok(f) => vec![f],
        Err(e) => return out.fail(root, "cannot read the directory", &e),
    };
    loop {
        let depth = stack.len();
        let Some(top) = stack.last_mut() else {
            break;
        };
        let Some(name) = top.names.next() else {
            stack.pop();
            continue;
        };
        let path = top.path.join(&name);
        if sel.excluded(&path, cfg) {
            out.note(&path, "excluded");
            continue;
        }
        if let Some(child) = visit(&top.dir, &name, path, depth, sel, out) {
            stack.push(child);
        }
    }
}

/// Look at one entry of a directory being walked: a file is taken (when
/// included), a special file noted; a directory to enter is returned.
fn visit(
    dir: &dirs::Handle,
    name: &OsStr,
    path: PathBuf,
    depth: usize,
    sel: &Selection,
    out: &mut Walked,
) -> Option<Frame> {
    let kind = match dir.kind(name, false) {
        Ok(k) => k,
        // Removed since the directory was listed.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => {
            out.fail(&path, "cannot read", &e);
            return None;
        }
    };
    let included = sel.included(&path);
    match kind {
        dirs::Kind::Dir => return enter(dir, name, path, depth, out),
        dirs::Kind::File if included => out.files.push(path),
        dirs::Kind::File => {}
        dirs::Kind::Symlink => follow(dir, name, path, included, out),
        k if included => out.note(&path, &format!("{}, not a regular file", k.describe())),
        _ => {}
    }
    None
}

/// A subdirectory to walk next, unless it is hidden or too deep.
fn enter(
    dir: &dirs::Handle,
    name: &OsStr,
    path: PathBuf,
    depth: usize,
    out: &mut Walked,
) -> Option<Frame> {
    if name.to_string_lossy().starts_with('.') {
        out.note(&path, "hidden directory");
        return None;
    }
    if depth > MAX_WALK_DEPTH {
        let too_deep = std::io::Error::other(format!(
            "nested more than {MAX_WALK_DEPTH} directories deep; not read"
        ));
        out.fail(&path, "cannot read the directory", &too_deep);
        return None;
    }
    match dir.open_dir(name).and_then(|d| open_frame(d, path.clone())) {
        Ok(f) => Some(f),
        Err(e) => {
            out.fail(&path, "cannot read the directory", &e);
            None
        }
    }
}

/// A symbolic link: taken when it leads to a regular file that is included;
/// links to directories are not followed.
fn follow(dir: &dirs::Handle, name: &OsStr, path: PathBuf, included: bool, out: &mut Walked) {
    match dir.kind(name, true) {
        Ok(dirs::Kind::File) if included => out.files.push(path),
        Ok(dirs::Kind::File) => {}
        Ok(dirs::Kind::Dir) => out.note(&path, "a link to a directory (not followed)"),
        Ok(k) if included => out.note(&path, &format!("a link to {}", k.describe())),
        Ok(_) => {}
        // A link to nothing: there is no file to read (docs/robustness.md).
        Err(e)
            if e.kind() == std::io::ErrorKind::NotFound
                || e.kind() == std::io::ErrorKind::NotADirectory =>
        {
            out.note(&path, "a dangling symbolic link");
        }
        Err(e) if included => out.fail(&path, "cannot read", &e),
        Err(e) => out.note(&path, &format!("a link that cannot be followed: {e}")),
    }
}

/// Open a file to read, also when its path is longer than PATH_MAX (a file
/// found deep in a scanned tree).
fn open_input(path: &Path) -> std::io::Result<std::fs::File> {
    dirs::open_file(path)
}

/// Directory handles. On Linux they are descriptors, and every name is
/// resolved relative to its parent's descriptor; elsewhere, paths.
#[cfg(target_os = "linux")]
mod dirs {
    use std::ffi::{OsStr, OsString};
    use std::os::fd::OwnedFd;
    use std::os::unix::ffi::OsStrExt as _;
    use std::path::Path;

    use rustix::fs::{AtFlags, CWD, Dir, FileType, Mode, OFlags, openat, statat};

    pub use super::kind::Kind;

    /// Paths at least this long are opened a piece at a time (PATH_MAX is
    /// 4096 bytes with the NUL).
    const PATH_PIECE: usize = 4000;

    pub struct Handle(OwnedFd);

    impl Handle {
        pub fn open(path: &Path) -> std::io::Result<Self> {
            open_long(path, OFlags::RDONLY | OFlags::DIRECTORY).map(Handle)
        }

        /// The entries' names, sorted, without `.` and `..`.
        pub fn names(&self) -> std::io::Result<Vec<OsString>> {
            let mut out = Vec::new();
            for entry in Dir::read_from(&self.0)? {
                let entry = entry?;
                let name = entry.file_name().to_bytes();
                if name != b"." && name != b".." {
                    out.push(OsStr::from_bytes(name).to_owned());
                }
            }
            out.sort();
            Ok(out)
        }

        /// What `name` is: the entry itself, or with `follow` what a link leads to.
        pub fn kind(&self, name: &OsStr, follow: bool) -> std::io::Result<Kind> {
            let flags = if follow {
                AtFlags::empty()
            } else {
                AtFlags::SYMLINK_NOFOLLOW
            };
            let st = statat(&self.0, name, flags)?;
            Ok(match FileType::from_raw_mode(st.st_mode) {
                FileType::RegularFile => Kind::File,
                FileType::Directory => Kind::Dir,
                FileType::Symlink => Kind::Symlink,
                FileType::Fifo => Kind::Fifo,
                FileType::Socket => Kind::Socket,
                FileType::CharacterDevice | FileType::BlockDevice => Kind::Device,
                FileType::Unknown => Kind::Other,
            })
        }

        /// A subdirectory, never through a link.
        pub fn open_dir(&self, name: &OsStr) -> std::io::Result<Self> {
            let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
            Ok(Handle(openat(&self.0, name, flags, Mode::empty())?))
        }
    }

    pub fn open_file(path: &Path) -> std::io::Result<std::fs::File> {
        if path.as_os_str().len() < PATH_PIECE {
            return std::fs::File::open(path);
        }
        open_long(path, OFlags::RDONLY).map(std::fs::File::from)
    }

    /// `open(path)` for a path of any length: pieces shorter than PATH_MAX,
    /// cut at slashes, each opened relative to the directory before it.
    fn open_long(path: &Path, flags: OFlags) -> std::io::Result<OwnedFd> {
        let flags = flags | OFlags::CLOEXEC;
        let mut rest = path.as_os_str().as_bytes();
        let mut dir: Option<OwnedFd> = None;
        loop {
            let at = dir.as_ref().map_or(CWD, |d| std::os::fd::AsFd::as_fd(d));
            if rest.len() < PATH_PIECE {
                return Ok(openat(at, OsStr::from_bytes(rest), flags, Mode::empty())?);
            }
            let cut = rest[..PATH_PIECE]
                .iter()
                .rposition(|&b| b == b'/')
                .ok_or(rustix::io::Errno::NAMETOOLONG)?;
            let head: &[u8] = if cut == 0 { b"/" } else { &rest[..cut] };
            let next = openat(
                at,
                OsStr::from_bytes(head),
                OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
                Mode::empty(),
            )?;
            dir = Some(next);
            rest = &rest[cut..];
            while let [b'/', tail @ ..] = rest {
                rest = tail;
            }
        }
    }
}

/// Directory handles by path, where descriptors are not at hand.
#[cfg(not(target_os = "linux"))]
mod dirs {
    use std::ffi::{OsStr, OsString};
    use std::path::{Path, PathBuf};

    pub use super::kind::Kind;

    pub struct Handle(PathBuf);

    impl Handle {
        pub fn open(path: &Path) -> std::io::Result<Self> {
            Ok(Handle(path.to_path_buf()))
        }

        pub fn names(&self) -> std::io::Result<Vec<OsString>> {
            let mut out = Vec::new();
            for entry in std::fs::read_dir(&self.0)? {
                out.push(entry?.file_name());
            }
            out.sort();
            Ok(out)
        }

        pub fn kind(&self, name: &OsStr, follow: bool) -> std::io::Result<Kind> {
            let p = self.0.join(name);
            let meta = if follow {
                std::fs::metadata(&p)?
            } else {
                std::fs::symlink_metadata(&p)?
            };
            let t = meta.file_type();
            Ok(if t.is_file() {
                Kind::File
            } else if t.is_dir() {
                Kind::Dir
            } else if t.is_symlink() {
                Kind::Symlink
            } else {
                special(t)
            })
        }

        pub fn open_dir(&self, name: &OsStr) -> std::io::Result<Self> {
            Ok(Handle(self.0.join(name)))
        }
    }

    #[cfg(unix)]
    fn special(t: std::fs::FileType) -> Kind {
        use std::os::unix::fs::FileTypeExt as _;
        if t.is_fifo() {
            Kind::Fifo
        } else if t.is_socket() {
            Kind::Socket
        } else if t.is_char_device() || t.is_block_device() {
            Kind::Device
        } else {
            Kind::Other
        }
    }

    #[cfg(not(unix))]
    fn special(_: std::fs::FileType) -> Kind {
        Kind::Other
    }

    pub fn open_file(path: &Path) -> std::io::Result<std::fs::File> {
        std::fs::File::open(path)
    }
}

mod kind {
    /// The kinds of directory entry the walk tells apart.
    #[cfg_attr(not(unix), allow(dead_code))]
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Kind {
        File,
        Dir,
        Symlink,
        Fifo,
        Socket,
        Device,
        Other,
    }

    impl Kind {
        pub fn describe(self) -> &'static str {
            match self {
                Kind::File => "a regular file",
                Kind::Dir => "a directory",
                Kind::Symlink => "a symbolic link",
                Kind::Fifo => "a FIFO",
                Kind::Socket => "a socket",
                Kind::Device => "a device",
                Kind::Other => "a special file",
            }
        }
    }
}
