//! `lint`: check files and directories against the rule catalogue.
//! Clap arguments become engine options here, in one place.
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ::time::OffsetDateTime;
use anyhow::{Context as _, anyhow, bail};
use globset::GlobSet;
use rayon::prelude::*;

use crate::ExitStatus;
use crate::cli::GlobalArgs;
use crate::cli::lint::LintArgs;
use crate::error::PASSWORD_FLAGS;
use crate::lint::config::{self, Config, Overrides};
use crate::lint::engine::{self, EngineOptions, Input};
use crate::lint::{Context, Deployed, Expect, GivenKey};
use crate::pki::chain::Verifier;
use crate::pki::keys;
use crate::pki::load::{self, LoadOptions};
use crate::report::{self, IoFailure, LintReport, Printer};

const DEFAULT_WARN_DAYS: u32 = 30;

/// More files than this get a progress bar (on a terminal).
const PROGRESS_THRESHOLD: usize = 200;

fn load_config(args: &LintArgs) -> anyhow::Result<Option<Config>> {
    if args.no_config {
        return Ok(None);
    }
    let path = match &args.config {
        Some(p) => Some(p.clone()),
        None => {
            let cwd = std::env::current_dir().context("cannot find the working directory")?;
            Config::discover(&cwd)
        }
    };
    match path {
        Some(p) => Ok(Some(Config::load(&p)?)),
        None => Ok(None),
    }
}

/// `--deployed-bundle`: each file on its own, never merged.
fn load_deployed(paths: &[PathBuf]) -> anyhow::Result<Vec<Deployed>> {
    let mut out = Vec::with_capacity(paths.len());
    for p in paths {
        let loaded = load::load_path(p, &LoadOptions::default())
            .with_context(|| format!("--deployed-bundle {}", report::escape_path(p)))?;
        if loaded.certs.is_empty() {
            bail!(
                "--deployed-bundle {}: no certificate could be read from it",
                report::escape_path(p)
            );
        }
        out.push(Deployed::new(&p.display().to_string(), loaded.certs));
    }
    Ok(out)
}

fn load_key(path: &Path, args: &LintArgs) -> anyhow::Result<GivenKey> {
    let bytes = zeroize::Zeroizing::new(load::read_limited(path)?);
    let loaded = load::load_bytes(&path.display().to_string(), &bytes, &LoadOptions::default());
    let block = loaded
        .keys
        .first()
        .ok_or_else(|| anyhow!("--key {}: no private key found in it", path.display()))?;
    let pair = keys::key_from_block(
        path,
        &block.label,
        &block.der,
        block.encrypted,
        &args.password.source(),
        "--key",
    )
    .map_err(|e| e.or_give_password_with(PASSWORD_FLAGS))?;
    Ok(GivenKey {
        path: Arc::from(path.display().to_string()),
        public_key: pair.public_key_raw().to_vec(),
    })
}

/// Selection of files inside directories, and paths to skip anywhere.
struct Selection {
    include: GlobSet,
    exclude: GlobSet,
}

impl Selection {
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
fn read_input(p: &Path) -> Result<Vec<u8>, crate::error::LoadError> {
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
struct Walked {
    files: Vec<PathBuf>,
    /// Entries that exist but could not be read: exit 2.
    errors: Vec<IoFailure>,
    /// Entries skipped on purpose, shown with `-v`.
    notes: Vec<String>,
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
    let depth_limit = std::io::Error::other(format!(
        "nested more than {MAX_WALK_DEPTH} directories deep; not read"
    ));
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
        let kind = match top.dir.kind(&name, false) {
            Ok(k) => k,
            // Removed since the directory was listed.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => {
                out.fail(&path, "cannot read", &e);
                continue;
            }
        };
        let included = sel.included(&path);
        let mut child = None;
        match kind {
            dirs::Kind::Dir => {
                if name.to_string_lossy().starts_with('.') {
                    out.note(&path, "hidden directory");
                } else if depth > MAX_WALK_DEPTH {
                    out.fail(&path, "cannot read the directory", &depth_limit);
                } else {
                    match top
                        .dir
                        .open_dir(&name)
                        .and_then(|d| open_frame(d, path.clone()))
                    {
                        Ok(f) => child = Some(f),
                        Err(e) => out.fail(&path, "cannot read the directory", &e),
                    }
                }
            }
            dirs::Kind::File if included => out.files.push(path),
            dirs::Kind::File => {}
            dirs::Kind::Symlink => match top.dir.kind(&name, true) {
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
            },
            k if included => out.note(&path, &format!("{}, not a regular file", k.describe())),
            _ => {}
        }
        if let Some(f) = child {
            stack.push(f);
        }
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

pub fn run(args: LintArgs, global: &GlobalArgs) -> anyhow::Result<ExitStatus> {
    let printer = Printer::new(global);
    let now = args.at.unwrap_or_else(OffsetDateTime::now_utc);
    let cfg = load_config(&args)?;
    let empty = Vec::new();
    let (cfg_allow, cfg_warn, cfg_deny) = match &cfg {
        Some(c) => (&c.allow, &c.warn, &c.deny),
        None => (&empty, &empty, &empty),
    };
    let cfg_name = cfg
        .as_ref()
        .map(|c| c.path.display().to_string())
        .unwrap_or_default();
    let overrides = Overrides::build(&[
        (cfg_allow, cfg_warn, cfg_deny, &cfg_name),
        (&args.allow, &args.warn, &args.deny, "command line"),
    ])?;
    let warn_days = args
        .warn_days
        .or(cfg.as_ref().and_then(|c| c.warn_days))
        .unwrap_or(DEFAULT_WARN_DAYS);

    let include: Vec<String> = if !args.include.is_empty() {
        args.include.clone()
    } else if let Some(inc) = cfg.as_ref().and_then(|c| c.include.clone()) {
        inc
    } else {
        config::DEFAULT_INCLUDE
            .iter()
            .map(|s| (*s).to_owned())
            .collect()
    };
    let mut exclude = args.exclude.clone();
    if let Some(c) = &cfg {
        exclude.extend(c.ignore.iter().cloned());
    }
    let sel = Selection {
        include: config::globs(&include, "--include")?,
        exclude: config::globs(&exclude, "--exclude / ignore")?,
    };

    let stdin_inputs = args.paths.iter().filter(|p| p.as_os_str() == "-").count();
    if stdin_inputs > 1 {
        bail!("`-` (standard input) can be given only once");
    }
    if stdin_inputs == 1 && args.password.password_stdin {
        bail!("`-` and --password-stdin cannot both read standard input");
    }
    let trust = super::inputs::load_trust(&args.trust)?;
    // The command line wins over the file.
    let deployed = match (&args.deployed_bundle, &cfg) {
        (given, _) if !given.is_empty() => load_deployed(given)?,
        (_, Some(c)) => load_deployed(&c.deployed)?,
        _ => Vec::new(),
    };
    let keys: Vec<GivenKey> = match &args.key {
        Some(k) => vec![load_key(k, &args)?],
        None => Vec::new(),
    };
    let password = if args.no_password {
        Some(crate::secret::Password::default())
    } else if args.password.given() {
        args.password.source().read("PKCS#12 password", false)?
    } else {
        None
    };

    // Expand the inputs.
    let mut walked = Walked::default();
    for p in &args.paths {
        if p.as_os_str() == "-" {
            walked.files.push(p.clone());
            continue;
        }
        if sel.excluded(p, cfg.as_ref()) {
            walked.note(p, "excluded");
            continue;
        }
        if p.is_dir() {
            walk(p, &sel, cfg.as_ref(), &mut walked);
        } else {
            walked.files.push(p.clone());
        }
    }
    for n in &walked.notes {
        printer.debug(n);
    }
    let Walked {
        files,
        errors: mut io_errors,
        ..
    } = walked;

    // Read in parallel; a file that cannot be read is reported, the rest go on.
    let cli_expect = args.expect;
    // A progress bar for big scans, on a terminal only (never in CI or a pipe).
    let bar = (files.len() > PROGRESS_THRESHOLD)
        .then(|| printer.progress(files.len() as u64, "reading"))
        .flatten();
    let read: Vec<Result<Input, IoFailure>> = files
        .par_iter()
        .map(|p| {
            if let Some(b) = &bar {
                b.inc(1);
            }
            let bytes = read_input(p).map_err(|e| IoFailure {
                path: p.display().to_string(),
                message: e.to_string(),
            })?;
            let (expect, source) = if cli_expect != Expect::Auto {
                (cli_expect, "--expect")
            } else if let Some(e) = cfg.as_ref().and_then(|c| c.expect_for(p)) {
                (e, "config")
            } else {
                (Expect::Auto, "auto")
            };
            let shown = if p.as_os_str() == "-" {
                "-".to_owned()
            } else {
                p.display().to_string()
            };
            Ok(Input {
                path: Arc::from(shown),
                expect,
                expect_source: source,
                bytes,
            })
        })
        .collect();
    let mut inputs = Vec::with_capacity(read.len());
    for r in read {
        match r {
            Ok(i) => inputs.push(i),
            Err(e) => io_errors.push(e),
        }
    }

    let verifier = Verifier::new();
    let clients = crate::cli::clients_of(&args.client);
    let ctx = Context {
        now,
        warn_days,
        host: args.host.clone(),
        trust: &trust,
        trust_given: !args.trust.is_empty(),
        clients: &clients,
        keys: &keys,
        verifier: &verifier,
        deployed: &deployed,
    };
    let eopts = EngineOptions {
        pkcs12_password: password.as_ref().map(|p| p.as_str()),
    };
    if let Some(b) = &bar {
        // The rules run in parallel with no per-file hook: keep the bar
        // full and animate it while they run.
        b.set_message(format!("read; linting {} files", inputs.len()));
        b.enable_steady_tick(std::time::Duration::from_millis(100));
    }
    let results = engine::run(inputs, &ctx, &eopts, &overrides);
    if let Some(b) = bar {
        b.finish_and_clear();
    }

    for e in &io_errors {
        printer.error(&e.message);
    }
    let rep = LintReport::new(&results, &io_errors, args.fail_on.into(), args.exit_zero);
    report::emit(args.format.into(), &rep, &printer)
}
